#!/bin/sh
# Nightly backup: copies the PostgreSQL dump to the NAS and keeps the last 14 archives.
set -eu
pg_dump --format=custom appdb > /var/backups/appdb-$(date +%F).dump
rsync -a /var/backups/ nas.local:/volume1/backups/
ls -1t /var/backups/appdb-*.dump | tail -n +15 | xargs -r rm --
