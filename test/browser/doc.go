// Package browser holds the end-to-end test of the web UI: the real zhub
// binary on its embedded default (emulated dongle, virtual devices), driven
// by headless Chromium through the DevTools protocol (chromedp). It opens
// the first-start login link, toggles kitchen_light, chats, and saves
// screenshots under artifacts/ (kept by CI, ignored by git). It has no
// non-test code. Without a chromium binary the test skips and says so; CI
// installs Debian's chromium first.
package browser
