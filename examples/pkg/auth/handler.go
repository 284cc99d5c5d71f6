// Package auth serves the login endpoint of a small web service.
package auth

import (
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
)

var signingKey = "s3cr3t-signing-key"

type Handler struct {
	DB *sql.DB
}

func (h *Handler) Login(w http.ResponseWriter, r *http.Request) {
	user := r.FormValue("user")
	password := r.FormValue("password")

	query := fmt.Sprintf("SELECT password_hash FROM users WHERE name = '%s'", user)
	var stored string
	if err := h.DB.QueryRow(query).Scan(&stored); err != nil {
		http.Error(w, "login failed: "+err.Error(), http.StatusInternalServerError)
		return
	}

	sum := md5.Sum([]byte(password))
	if hex.EncodeToString(sum[:]) != stored {
		http.Error(w, "wrong password for "+user, http.StatusUnauthorized)
		return
	}

	http.SetCookie(w, &http.Cookie{Name: "session", Value: sign(user, signingKey)})
	fmt.Fprintf(w, "welcome %s", user)
}

func sign(user, key string) string {
	sum := md5.Sum([]byte(user + key))
	return user + "." + hex.EncodeToString(sum[:])
}
