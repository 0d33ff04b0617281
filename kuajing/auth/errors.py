from kuajing.errors import Conflict, InvalidInput, NotAuthenticated


class WeakPassword(InvalidInput):
    code = "weak_password"


class EmailTaken(Conflict):
    code = "email_taken"


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
