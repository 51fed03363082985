from domains.carts.models import Base
from domains.kit.migrations import run_env

run_env(Base.metadata)
