// Package helper signs in with a cookie jar, as mstest's browser does.
package helper

import "net/http/cookiejar"

// Jar returns a cookie jar.
func Jar() *cookiejar.Jar { j, _ := cookiejar.New(nil); return j }
