// Package test holds repository-wide checks: the dependency fences between
// zhub's packages (docs/style.md §2.1) and, later, end-to-end tests of the
// zhub binary. It has no non-test code.
package test
