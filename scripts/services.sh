# Sourced by scripts/test: start the local services the tests use when they are down
# (PostgreSQL at 127.0.0.1:5432, NATS with JetStream at 127.0.0.1:4222).
pg_up() { (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "• starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || { echo "PostgreSQL is not listening on 127.0.0.1:5432 and could not be started" >&2; exit 1; }
fi

nats_up() { (echo > /dev/tcp/127.0.0.1/4222) 2>/dev/null; }
if ! nats_up; then
  if [ -x /usr/sbin/nats-server ] && command -v start-stop-daemon >/dev/null 2>&1; then
    echo "• starting NATS (JetStream)"
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
    for _ in $(seq 1 50); do nats_up && break; sleep 0.2; done
  fi
  nats_up || { echo "NATS is not listening on 127.0.0.1:4222 and could not be started (nats-server -js)" >&2; exit 1; }
fi
