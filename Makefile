# Builds release binaries and installs Jiansuo.
#   make                      release build
#   make install              into PREFIX (default /usr/local); config into /etc/jiansuo
#   make install DESTDIR=/tmp/stage PREFIX=/usr
# Installs: bin/jiansuod, bin/jiansuo; /etc/jiansuo/jiansuod.yaml (kept if present);
# systemd units into $(UNITDIR); bash, zsh and fish completions; man pages; the README.
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/jiansuo
RELEASE = .build/release
MANPAGES = .build/plugins/GenerateManual/outputs

.PHONY: all build install uninstall

all: build

build:
	scripts/install-deps
	swift build -c release
	swift package --allow-writing-to-package-directory generate-manual >/dev/null

install: build
	install -d $(BINDIR) $(MANDIR) $(DOCDIR) $(DESTDIR)$(SYSCONFDIR)/jiansuo $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(RELEASE)/jiansuod $(RELEASE)/jiansuo $(BINDIR)/
	test -e $(DESTDIR)$(SYSCONFDIR)/jiansuo/jiansuod.yaml || sed 's|^  - samples$$|  - /srv/documents    # edit: the folders to index|' etc/jiansuod.yaml > $(DESTDIR)$(SYSCONFDIR)/jiansuo/jiansuod.yaml
	sed 's#/usr/local/bin/jiansuod#$(PREFIX)/bin/jiansuod#; s#/usr/local/share/doc#$(PREFIX)/share/doc#' systemd/jiansuod.service > $(DESTDIR)$(UNITDIR)/jiansuod.service
	install -m 0644 systemd/jiansuod.socket $(DESTDIR)$(UNITDIR)/jiansuod.socket
	$(RELEASE)/jiansuo --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuo
	$(RELEASE)/jiansuo --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_jiansuo
	$(RELEASE)/jiansuo --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/jiansuo.fish
	$(RELEASE)/jiansuod --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuod
	install -m 0644 $(MANPAGES)/jiansuo/jiansuo.1 $(MANPAGES)/jiansuod/jiansuod.1 $(MANDIR)/
	install -m 0644 README.md docs/protocol.md $(DOCDIR)/

uninstall:
	rm -f $(BINDIR)/jiansuod $(BINDIR)/jiansuo $(MANDIR)/jiansuo.1 $(MANDIR)/jiansuod.1 \
		$(DESTDIR)$(UNITDIR)/jiansuod.service $(DESTDIR)$(UNITDIR)/jiansuod.socket \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuo $(DESTDIR)$(PREFIX)/share/bash-completion/completions/jiansuod \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_jiansuo $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/jiansuo.fish
	rm -rf $(DOCDIR)
