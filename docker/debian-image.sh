# Shared by the image recipes in docker/*-image/build (sourced, not run): the Debian mirror apt is
# configured with, and the recipe-hash check that makes a build a no-op when nothing changed.
# (docker/postgres-image/build keeps its own copy of debian_mirror: its recipe hash covers only its
# own files, and changing them would rebuild the test images on every machine.)

# The Debian archive (not debian-security) from apt's sources: deb822 *.sources or one-line *.list.
debian_mirror() {
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  local mirror=""
  if [ ${#files[@]} -gt 0 ]; then
    mirror=$(awk '
      /^[[:space:]]*deb[[:space:]]/ {
        for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /=/ && $i !~ /\]$/) break
        if ($i ~ /debian\/?$/) { print $i; exit }
      }
      /^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /debian\/?$/) { print $i; exit } }
    ' "${files[@]}")
  fi
  echo "${mirror:-http://deb.debian.org/debian}"
}

# image_is_current TAG RECIPE: true when TAG exists and carries the label cdc.recipe=RECIPE.
image_is_current() {
  [ "$(docker image inspect --format '{{index .Config.Labels "cdc.recipe"}}' "$1" 2>/dev/null || true)" = "$2" ]
}

# Options for mmdebstrap that keep an image small: the merged-usr hook makes /bin, /lib... links into /usr
# and installs usr-is-merged (otherwise the essential variant installs usrmerge, which brings 47 MB of
# perl), and documentation, manual pages and translations are left out.
slim_options=(
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
)
