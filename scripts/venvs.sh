# The project's environments by name; sourced by the scripts that pick one.
#   floor      .venv            Home Assistant 2025.4.4 on Python 3.13.0
#   latest     .venv-latest     Home Assistant 2026.2.3 on Python 3.13.5
#   optimized  .venv-optimized  the same on a Python built with PGO and LTO (for the benchmark)

venv_dir() { # NAME: print the venv folder of floor, latest or optimized; fail for anything else
  case "$1" in
    floor) echo .venv ;;
    latest) echo .venv-latest ;;
    optimized) echo .venv-optimized ;;
    *) return 1 ;;
  esac
}
