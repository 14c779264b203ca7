"""The notifications HTTP API process."""

from oms_kit.runtime import serve_api

from oms_notifications.bootstrap import bootstrap

if __name__ == "__main__":
    serve_api(bootstrap)
