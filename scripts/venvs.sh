# The project's two test environments by name; sourced by the scripts that pick one.
#   floor   .venv         Home Assistant 2025.4.4 on Python 3.13.0
#   latest  .venv-latest  Home Assistant 2026.2.3 on Python 3.13.5

venv_dir() { # NAME: print the venv folder of floor or latest; fail for anything else
  case "$1" in
    floor) echo .venv ;;
    latest) echo .venv-latest ;;
    *) return 1 ;;
  esac
}
