# hookfan-sweep from cron, for hosts that do not run systemd.  Where
# systemd runs, the package's hookfan-sweep.timer sweeps every minute and
# this line does nothing, so the two never both sweep.  Overlapping runs
# would be safe (each due attempt is made once), merely pointless.
* * * * * hookfan [ -d /run/systemd/system ] || /usr/bin/hookfan-sweep --max-seconds 55
# Retention (off until you choose a period): uncomment to delete, each
# night, the messages older than 30 days whose deliveries all finished,
# with their deliveries and attempts (hookfan-admin(8), purge).  It runs
# under systemd too: no timer does this.
#17 3 * * * hookfan /usr/bin/hookfan-admin purge --older-than 30 >/dev/null
