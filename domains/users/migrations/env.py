from domains.kit.migrations import run_env
from domains.users.models import Base

run_env(Base.metadata)
