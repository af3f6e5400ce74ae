"""FMU Gateway client: find, inspect, price and run FMI 2.0 / 3.0 simulation models (FMUs) on an
FMU Gateway from Python, with the standard library only.

>>> from fmu_gateway import Client, PaymentRequired
>>> gw = Client("http://127.0.0.1:8000")
>>> gw.create_key()                      # or Client(url, key="fmugw_k_...")
>>> res = gw.simulate("msl:BouncingBall", stop_time=3, step=0.01)
>>> res.summary["h"]["max"], res.columns["h"][:3]

Every failure is a :class:`GatewayError` with a stable ``code``; the important ones have their
own subclass (:class:`PaymentRequired` carries the checkout, :class:`ServerBusy` a
``retry_after`` ...).
"""

from .client import DEFAULT_TIMEOUT, Client, __version__, sha256_of_file
from .errors import (
    BadRequest,
    CheckoutInfo,
    Conflict,
    CreditPack,
    DiskFull,
    FmuInvalid,
    GatewayError,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidInput,
    NotFound,
    PaymentError,
    PaymentRequired,
    ProtocolError,
    QuotaExceeded,
    RateLimited,
    RetryableError,
    ServerBusy,
    ServiceUnavailable,
    SimulationError,
    SimulationTimeout,
    StoreUnavailable,
    Unauthorized,
    error_from_response,
)
from .models import (
    CreditCheckout,
    CreditEntry,
    CreditPurchase,
    Credits,
    LibraryModel,
    ModelVariables,
    Quote,
    Redemption,
    ResultTable,
    SimulationResult,
    SweepResult,
    SweepRun,
    Upload,
    Variable,
)

__all__ = [
    "Client",
    "DEFAULT_TIMEOUT",
    "__version__",
    "sha256_of_file",
    # errors
    "GatewayError",
    "InvalidInput",
    "BadRequest",
    "Unauthorized",
    "NotFound",
    "FmuInvalid",
    "SimulationError",
    "SimulationTimeout",
    "PaymentRequired",
    "PaymentError",
    "Conflict",
    "QuotaExceeded",
    "RetryableError",
    "ServerBusy",
    "RateLimited",
    "StoreUnavailable",
    "DiskFull",
    "ServiceUnavailable",
    "GatewayUnavailable",
    "GatewayTimeout",
    "ProtocolError",
    "error_from_response",
    # results
    "CheckoutInfo",
    "CreditPack",
    "CreditCheckout",
    "CreditEntry",
    "CreditPurchase",
    "Credits",
    "LibraryModel",
    "ModelVariables",
    "Quote",
    "Redemption",
    "ResultTable",
    "SimulationResult",
    "SweepResult",
    "SweepRun",
    "Upload",
    "Variable",
]
