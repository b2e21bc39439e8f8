class ReadError(ValueError):
    """Text the reader refuses, with the column where reading stopped."""

    def __init__(self, message: str, column: int | None = None, text: str = ""):
        self.message, self.column, self.text = message, column, text
        where = f" at column {column}" if column is not None else ""
        super().__init__(f"could not read {message}{where}")
