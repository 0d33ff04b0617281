"""The enterprises around every customs message: the platform, the payment company and the
logistics company, with their customs registration codes (from settings)."""

from dataclasses import dataclass

from kuajing.customs.messages import Party
from kuajing.settings import Settings


@dataclass(frozen=True, slots=True)
class CustomsParties:
    """The enterprises around every message, from settings."""

    platform: Party
    payment: Party
    logistics: Party
    dxp_id: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "CustomsParties":
        return cls(
            platform=Party(settings.customs_platform_code, settings.customs_platform_name),
            payment=Party(settings.customs_payment_code, settings.customs_payment_name),
            logistics=Party(settings.customs_logistics_code, settings.customs_logistics_name),
            dxp_id=settings.customs_dxp_id,
        )

    def sender_of(self, message_type: str) -> Party:
        """Who transmits each document: the platform its order, the payment company its
        payment slip, the logistics company its waybill."""
        return {"CEB311": self.platform, "CEB411": self.payment, "CEB511": self.logistics}[message_type]
