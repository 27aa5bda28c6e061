#!/usr/bin/env bash
# Fetch the training corpus of the default model, Debian's fortune cookies,
# into the cache with `apt-get download` + `dpkg-deb -x` (nothing is
# installed), and split it into a training and a held-out text:
#
#   <cache>/corpus/fortunes-<ver>/root/       the unpacked packages
#   <cache>/corpus/fortunes-<ver>/train.txt   19 of every 20 fortunes
#   <cache>/corpus/fortunes-<ver>/heldout.txt the 20th (index % 20 == 19)
#
# Prints the directory <cache>/corpus/fortunes-<ver> on stdout.
#
# Packages: fortunes and fortunes-min (source fortune-mod), the
# inoffensive collection; the offensive one is the separate fortunes-off,
# which is not fetched. Their copyright file puts the collection under the
# BSD licence (redistribution and use, modified or not, permitted); the
# script checks that the file still says so and stops otherwise.
#
# Text: every cookie file of /usr/share/games/fortunes in C-locale order,
# cookies in file order, numbered across files. Left out: the *.dat
# indexes, the *.u8 links (same files), anything under off/ (offensive,
# ROT13), and `art` and `ascii-art` (pictures, not prose). Backspace
# overstrikes ("_\bx", old underlining) keep the printed character; other
# control characters but tab and newline are dropped, and trailing blanks
# of a line. A cookie is written followed by a line "%", as fortune's own
# files do, so a text and a list of cookies are the same thing.
. "$(dirname "$0")/lib.sh"

pkgs=(fortunes fortunes-min)
ver=$(apt-cache show fortunes 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[ -n "$ver" ] || die "package fortunes is not in the archive (apt-get update?)"
dir="$LUTCORE_CACHE/corpus/fortunes-${ver//:/_}"
debs="$dir/debs"
root="$dir/root"

fetch() {
	local pkg=$1
	if ! ls "$debs/${pkg}_"*.deb >/dev/null 2>&1; then
		log "downloading $pkg $ver"
		(cd "$debs" && apt-get download -qq "$pkg=$ver" 2>/dev/null) ||
			die "apt-get download $pkg=$ver failed"
	fi
	dpkg-deb -x "$debs/${pkg}_"*.deb "$root"
}

# The licence must still grant redistribution and use.
check_license() {
	local c="$root/usr/share/doc/fortunes/copyright"
	[ -f "$c" ] || die "no copyright file in the fortunes package"
	grep -q 'Redistribution and use in source and binary forms' "$c" ||
		die "$c no longer grants BSD redistribution and use; review the licence"
}

split_corpus() {
	local src="$root/usr/share/games/fortunes" files=()
	mapfile -t files < <(cd "$src" && LC_ALL=C find . -maxdepth 1 -type f \
		! -name '*.dat' ! -name '*.u8' ! -name art ! -name ascii-art -printf '%P\n' | LC_ALL=C sort)
	[ ${#files[@]} -gt 10 ] || die "too few cookie files in $src"
	(cd "$src" && perl -e '
		use strict;
		my ($train, $held) = @ARGV[0, 1];
		open(my $t, ">", $train) or die "$train: $!";
		open(my $h, ">", $held) or die "$held: $!";
		my ($n, $cookie) = (0, "");
		my $put = sub {
			return if $cookie !~ /\S/;
			print { $n++ % 20 == 19 ? $h : $t } $cookie, "%\n";
		};
		for my $f (@ARGV[2 .. $#ARGV]) {
			open(my $in, "<", $f) or die "$f: $!";
			while (my $l = <$in>) {
				if ($l eq "%\n") { $put->(); $cookie = ""; next; }
				1 while $l =~ s/[^\x08]\x08//;
				$l =~ s/[\x00-\x08\x0b-\x1f\x7f]//g;
				$l =~ s/[ \t]+$//;
				$cookie .= $l;
			}
			$cookie .= "\n" if $cookie ne "" && $cookie !~ /\n\z/;
			$put->();
			$cookie = "";
		}
		close($t) or die; close($h) or die;
	' "$dir/train.txt.tmp" "$dir/heldout.txt.tmp" "${files[@]}") || die "splitting the corpus failed"
	mv "$dir/train.txt.tmp" "$dir/train.txt"
	mv "$dir/heldout.txt.tmp" "$dir/heldout.txt"
}

mkdir -p "$debs" "$root"
if [ ! -f "$dir/.done" ]; then
	for p in "${pkgs[@]}"; do
		fetch "$p"
	done
	check_license
	split_corpus
	touch "$dir/.done"
fi
echo "$dir"
