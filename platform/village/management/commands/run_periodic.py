"""The periodic jobs' own process (production and any deployment with Redis)."""

import signal
import threading

from django.core.management.base import BaseCommand

from infra import tasks
from village import periodic


class Command(BaseCommand):
    help = "Run Village's periodic jobs (session endings, re-alerts) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the jobs once and exit.")
        parser.add_argument("--interval", type=float, default=None, help="Seconds between runs.")

    def handle(self, *args, once: bool, interval: float | None, **options):
        if once:
            self.stdout.write(str(periodic.run_once()))
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        if tasks.runs_periodic_jobs():
            self.stdout.write(
                "Running the screening deadline's sweep (the task engine's workers "
                "run the other periodic jobs); stop with Ctrl-C."
            )
        else:
            self.stdout.write("Running periodic jobs; stop with Ctrl-C.")
        periodic.run_forever(stop=stop, interval=interval)
