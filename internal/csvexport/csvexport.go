// Package csvexport writes the CSV files callrec exports (users, calls,
// audit log) so that no cell can run as a formula when the file is opened
// in a spreadsheet (CSV injection, OWASP): a cell starting with =, +, -,
// @, a tab or a carriage return gets a leading apostrophe, which
// spreadsheets read as "this is text" (numbers with a sign excepted).
package csvexport

import (
	"encoding/csv"
	"io"
	"strings"
)

// Writer is a csv.Writer that neutralises each cell.
type Writer struct {
	*csv.Writer
	row []string
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{Writer: csv.NewWriter(w)} }

// Write writes one record, each cell made inert.
func (w *Writer) Write(record []string) error {
	w.row = w.row[:0]
	for _, cell := range record {
		w.row = append(w.row, Neutralise(cell))
	}
	return w.Writer.Write(w.row)
}

// Neutralise returns the cell as a spreadsheet will take it as text. A
// phone number or plain number (+15551234, -12) is left as it is: a sign
// followed by digits and spaces only is a number to a spreadsheet, never a
// formula, and a customer's phone numbers must stay searchable.
func Neutralise(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '+', '-':
		if len(cell) > 1 && strings.Trim(cell[1:], "0123456789 ") == "" {
			return cell
		}
		return "'" + cell
	case '=', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}

// Restore undoes Neutralise on a cell read back from an exported file
// (the users import takes what the export wrote).
func Restore(cell string) string {
	if len(cell) > 1 && cell[0] == '\'' {
		switch cell[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return cell[1:]
		}
	}
	return cell
}
