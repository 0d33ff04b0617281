from kuajing.errors import Conflict, InvalidInput, NotFound


class TooManyImages(Conflict):
    code = "too_many_images"


class DuplicateImage(Conflict):
    code = "duplicate_image"


class ImageNotFound(NotFound):
    code = "image_not_found"


class ImageOrderMismatch(InvalidInput):
    code = "image_order_mismatch"
