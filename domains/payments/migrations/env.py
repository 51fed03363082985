from domains.kit.migrations import run_env
from domains.payments.models import Base

run_env(Base.metadata)
