from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, model_validator

from kuajing.catalog.variants import MAX_OPTION_VALUES, MAX_OPTIONS, NewVariant
from kuajing.kit.ids import MAX_ID
from kuajing.kit.input_model import InputModel, VisibleText
from kuajing.kit.money import Money
from kuajing.kit.money_schemas import MoneyIn, MoneyModel
from kuajing.problems import ProblemOut

Category = Literal["garments", "wine", "fruit", "beer", "nuts", "cosmetics", "supplements", "other"]
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# A 6-, 8- or 10-digit HS code, dots optional: 2204.21, 0808.10.00, 22042100
HS_PATTERN = r"^\d{4}(\.?\d{2}){1,3}$"
MAX_STOCK = 10_000_000
MAX_VARIANTS = 100


class Bilingual(InputModel):
    en: VisibleText = Field(min_length=1, max_length=200)
    zh: VisibleText = Field(min_length=1, max_length=200)


class BilingualText(InputModel):
    en: str = Field(default="", max_length=5000)
    zh: str = Field(default="", max_length=5000)


OptionValue = Annotated[VisibleText, Field(min_length=1, max_length=40)]
Weight = Annotated[StrictInt, Field(ge=1, le=100_000)]
Stock = Annotated[StrictInt, Field(ge=0, le=MAX_STOCK)]


class OptionIn(InputModel):
    name: Bilingual = Field(description='What the option is, e.g. {"en": "Size", "zh": "尺码"}.')
    values: list[OptionValue] = Field(min_length=1, max_length=MAX_OPTION_VALUES)


class VariantIn(InputModel):
    sku: str = Field(pattern=SKU_PATTERN)
    options: list[OptionValue] = Field(
        min_length=1,
        max_length=MAX_OPTIONS,
        description="Its value of each of the product's options, in order.",
    )
    price: MoneyIn = Field(description="Unit price in USD.")
    stock: Stock
    weight_grams: Weight
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="The variant's own measurements "
        "(garments: fit_height_cm with fit_chest_cm or fit_waist_cm).",
    )

    def as_new(self) -> NewVariant:
        return NewVariant(
            sku=self.sku,
            options=list(self.options),
            price=Money(self.price.amount, self.price.currency),
            stock=self.stock,
            weight_grams=self.weight_grams,
            attributes=self.attributes,
        )


class VariantPatch(InputModel):
    price: MoneyIn | None = None
    stock_delta: StrictInt | None = Field(default=None, ge=-MAX_STOCK, le=MAX_STOCK)
    weight_grams: Weight | None = None
    attributes: dict[str, Any] | None = None


class ProductIn(InputModel):
    sku: str = Field(pattern=SKU_PATTERN)
    title: Bilingual
    description: BilingualText = Field(default_factory=BilingualText)
    category: Category
    hs_code: str = Field(pattern=HS_PATTERN)
    price: MoneyIn | None = Field(
        default=None, description="Unit price in USD; on each variant instead, if any."
    )
    stock: Stock | None = Field(default=None, description="Units in stock; on each variant instead, if any.")
    weight_grams: Weight | None = Field(default=None, description="On each variant instead, if any.")
    attributes: dict[str, Any] = Field(default_factory=dict)
    options: list[OptionIn] = Field(default_factory=list, max_length=MAX_OPTIONS)
    variants: list[VariantIn] = Field(
        default_factory=list,
        max_length=MAX_VARIANTS,
        description="With options: each variant with its own SKU, price, stock and weight.",
    )

    @model_validator(mode="after")
    def _priced_once(self) -> "ProductIn":
        if self.options or self.variants:
            if not (self.options and self.variants):
                raise ValueError("options and variants go together: name the options, then list the variants")
            if self.price is not None or self.stock is not None:
                raise ValueError("with variants, the price and stock are each variant's, not the product's")
        elif self.price is None or self.stock is None or self.weight_grams is None:
            raise ValueError("price, stock and weight_grams are required (or options with variants)")
        return self


class ProductPatch(InputModel):
    title: Bilingual | None = None
    description: BilingualText | None = None
    category: Category | None = None
    hs_code: str | None = Field(default=None, pattern=HS_PATTERN)
    price: MoneyIn | None = None
    stock_delta: StrictInt | None = Field(
        default=None,
        ge=-MAX_STOCK,
        le=MAX_STOCK,
        description="Units to add (positive) or write off (negative). A delta, not a new total, so it "
        "cannot undo units that orders took since the seller last looked.",
    )
    weight_grams: StrictInt | None = Field(default=None, ge=1, le=100_000)
    attributes: dict[str, Any] | None = None


class TextOut(BaseModel):
    """English and Chinese text as stored: shown as it is, never re-validated."""

    en: str
    zh: str


class ImageSizeOut(BaseModel):
    width: int
    height: int
    webp: str
    jpg: str


class ImageOut(BaseModel):
    id: int
    url: str = Field(description="The largest size, as WebP.")
    width: int
    height: int
    position: int = Field(description="0 is the main photo.")
    sizes: list[ImageSizeOut] = Field(description="Every size drawn, narrowest first, as WebP and JPEG.")


class ImageOrderIn(InputModel):
    ids: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=10, description="Every photo of the product once, the main photo first."
    )


class ImageList(BaseModel):
    items: list[ImageOut]


class OptionOut(BaseModel):
    name: TextOut
    values: list[str]


class VariantOut(BaseModel):
    id: int = Field(
        description="Order it as {product_id, variant_id}; a product without options is its own variant."
    )
    sku: str
    options: list[str] = Field(description="Its value of each of the product's options.")
    price: MoneyModel
    price_cny: MoneyModel | None
    landed: MoneyModel | None
    stock: int
    weight_grams: int
    attributes: dict[str, Any]
    zh_size: str | None


class ProductOut(BaseModel):
    id: int
    seller_id: int
    sku: str
    title: TextOut
    description: TextOut
    category: str
    hs_code: str
    price: MoneyModel
    price_cny: MoneyModel | None
    tax_rate: str | None = Field(description="CBEC comprehensive tax rate within the limits, e.g. 0.1789.")
    landed: MoneyModel | None = Field(
        description="What one unit costs delivered: goods, freight and tax, in CNY."
    )
    freight: MoneyModel | None
    tax: MoneyModel | None
    stock: int
    weight_grams: int
    attributes: dict[str, Any]
    zh_size: str | None = Field(description="GB/T 1335 size derived from the measurements, e.g. 170/88A.")
    bonded_warehouse_only: bool = Field(
        description="Cold-chain fresh fruit ships only from a bonded warehouse."
    )
    problems: list[ProblemOut] = Field(
        description="What keeps the product from being ordered: missing label or documents, no price."
    )
    images: list[ImageOut] = Field(default_factory=list, description="The photos, main first.")
    options: list[OptionOut] = Field(default_factory=list, description="Empty for a product without options.")
    variants: list[VariantOut] = Field(
        default_factory=list,
        description="What can be ordered; `price` above is the lowest and `stock` the sum.",
    )
    created_at: datetime
    updated_at: datetime


class FacetCount(BaseModel):
    value: str = Field(description="A category code, a USPS state code, a price band, or a seller's id.")
    count: int = Field(description="How many products this choice would show, the other filters kept.")


class Facets(BaseModel):
    category: list[FacetCount]
    state: list[FacetCount] = Field(description="The sellers' US states.")
    price_band: list[FacetCount] = Field(
        description="One unit's landed price in yuan, tax and shipping included: 0-100, 100-200, "
        "200-500, 500-1000, 1000- (from the first, below the second)."
    )
    seller: list[FacetCount]


class Correction(BaseModel):
    typed: str
    searched: list[str] = Field(description="The catalog's words searched for as well.")


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None
    total: int = Field(description="How many products the search found, on every page.")
    facets: Facets
    partial: bool = Field(
        description="No product matched every word of `q`: these match some of them, best first."
    )
    corrected: list[Correction] = Field(
        description="Words of `q` the catalog does not use, and what was tried."
    )


class SingleProductIn(ProductIn):
    """A product without options, as the portal's form and an import's row give it."""

    price: MoneyIn = Field(description="Unit price in USD.")
    stock: Stock
    weight_grams: Weight
