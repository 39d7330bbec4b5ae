# Builds release binaries and installs Jiansuo, or packages it for Debian.
#   make                      release build into .build/dist (jiansuo linked statically)
#   make install              into PREFIX (default /usr/local); config into /etc/jiansuo
#   make install DESTDIR=/tmp/stage PREFIX=/usr
#   make deb                  a .deb built with dpkg-deb; prints its path as its last line
#   make deb BIN=/some/dir    the same from the prebuilt jiansuod, jiansuo and jiansuo-web in /some/dir,
#                             without running Swift (BIN= works for install and man too)
# Installs: bin/jiansuod, bin/jiansuo, bin/jiansuo-web; /etc/jiansuo/jiansuod.yaml (kept if present);
# systemd units into $(UNITDIR); bash, zsh and fish completions; man pages (made from the
# binaries' --help by scripts/make-man); the README.
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/jiansuo
# The directory that holds the jiansuod, jiansuo and jiansuo-web binaries. Only a BIN given on
# the command line replaces it (not one from the environment), and then nothing is compiled.
BIN = .build/dist
MANPAGES = .build/man
ifeq ($(origin BIN),command line)
BINARIES =
else
BINARIES = build
endif

.PHONY: all build man install uninstall deb

all: build

# jiansuo is linked with the Swift runtime statically (its own build folder, .build/static): a
# search is a whole process, and loading the runtime's shared libraries was a quarter of its
# start (docs/performance.md, "The CLI"). The daemon and the page's server stay dynamic.
build:
	scripts/install-deps
	swift build -c release
	swift build -c release --static-swift-stdlib --product jiansuo --scratch-path .build/static
	install -d .build/dist
	install -m 0755 .build/release/jiansuod .build/release/jiansuo-web .build/dist/
	install -m 0755 .build/static/release/jiansuo .build/dist/jiansuo

man: $(BINARIES)
	scripts/install-deps help2man
	scripts/make-man $(BIN) $(MANPAGES) >/dev/null

install: man
	install -d $(BINDIR) $(MANDIR) $(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/jiansuo $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN)/jiansuod $(BIN)/jiansuo $(BIN)/jiansuo-web $(BINDIR)/
	test -e $(DESTDIR)$(SYSCONFDIR)/jiansuo/jiansuod.yaml || sed 's|^  - samples$$|  - /srv/documents    # edit: the folders to index|' etc/jiansuod.yaml > $(DESTDIR)$(SYSCONFDIR)/jiansuo/jiansuod.yaml
	sed 's#/usr/local/bin/jiansuod#$(PREFIX)/bin/jiansuod#; s#/usr/local/share/doc#$(PREFIX)/share/doc#' systemd/jiansuod.service > $(DESTDIR)$(UNITDIR)/jiansuod.service
	install -m 0644 systemd/jiansuod.socket $(DESTDIR)$(UNITDIR)/jiansuod.socket
	$(BIN)/jiansuo --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuo
	$(BIN)/jiansuo --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_jiansuo
	$(BIN)/jiansuo --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/jiansuo.fish
	$(BIN)/jiansuod --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuod
	install -m 0644 $(MANPAGES)/jiansuo.1 $(MANPAGES)/jiansuod.1 $(MANDIR)/
	install -m 0644 README.md docs/protocol.md $(DOCDIR)/

uninstall:
	rm -f $(BINDIR)/jiansuod $(BINDIR)/jiansuo $(BINDIR)/jiansuo-web $(MANDIR)/jiansuo.1 $(MANDIR)/jiansuod.1 \
		$(DESTDIR)$(UNITDIR)/jiansuod.service $(DESTDIR)$(UNITDIR)/jiansuod.socket \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuo $(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuod \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_jiansuo $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/jiansuo.fish
	rm -rf $(DOCDIR)

# The package: scripts/make-deb stages the tree and runs dpkg-deb; its last line is the path.
deb: $(BINARIES)
	scripts/install-deps help2man dpkg-dev binutils chrpath
	@scripts/make-deb $(BIN) .build
