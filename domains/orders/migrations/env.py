from domains.kit.migrations import run_env
from domains.orders.models import Base

run_env(Base.metadata)
