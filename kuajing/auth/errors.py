from kuajing.errors import Conflict, InvalidInput, NotAuthenticated, NotFound


class WeakPassword(InvalidInput):
    code = "weak_password"


class InvisibleText(InvalidInput):
    code = "invisible_characters"


class EmailTaken(Conflict):
    code = "email_taken"


class TokenNotFound(NotFound):
    code = "session_not_found"


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
