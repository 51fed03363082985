from domains.kit.migrations import run_env
from domains.products.models import Base

run_env(Base.metadata)
