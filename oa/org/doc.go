// Package org is the organisation directory of Nanhu: the departments tree
// (四套班子, departments, sections, townships and streets), the people in it,
// their roles and titles, and the mail routing that hangs off them (user
// addresses, aliases and department distribution lists).
//
// There is one account per person. The mail server, the OA workbench and the
// portal's staff login all authenticate against this directory, so a person
// has one login and one password everywhere.
//
// # On disk
//
// The directory is one SQLite file, org.db, in the data folder. No other part
// reads it; other parts refer to people by login and to departments by code.
// The file runs in WAL mode with synchronous=FULL, so a change that returned
// without error survives a crash. Several processes may have it open at once
// (the running server and an administrator's `nanhu user add`): writes take
// the database write lock with BEGIN IMMEDIATE and wait for it, and readers
// see every committed change at their next call. Schema changes are numbered
// migrations, recorded in PRAGMA user_version and applied at Open.
//
// # Promises
//
//   - Logins, addresses and domains are stored in lower case and compared
//     case-insensitively. Display names are UTF-8 and kept as given.
//   - Passwords are stored only as argon2id hashes in PHC string form; the
//     parameters travel with each hash, and a hash made with older
//     parameters is replaced at the next successful login.
//   - Authenticate costs the same for an unknown user as for a wrong
//     password, and says "disabled" only to someone who knows the password.
//   - An address belongs to at most one thing: a user, an alias or a list.
//   - Resolve always terminates: alias chains are followed to a fixed depth
//     and a loop is reported as an error.
package org
