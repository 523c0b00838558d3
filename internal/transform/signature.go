package transform

import (
	"regexp"
	"strings"
)

// signature is a function type signature such as <s-nn?:s>: it validates
// a call's arguments, substitutes the context for a missing contextable
// argument and wraps single values where an array is expected, as the
// reference's signature.js does.
type signature struct {
	params []sigParam
}

// sigParam is one parameter: the reference expresses it as a regular
// expression over argument symbols, such as [sm]? (a string or missing,
// optional); match runs the same patterns without a regexp engine.
type sigParam struct {
	regex   string // the reference's pattern, for error messages
	class   string // the symbols it accepts
	quant   byte   // 0, '?' or '+'
	typ     string // s n b l o a f j x, or (choice)
	array   bool
	context bool
	subtype string
}

func mustSignature(s string) *signature {
	sig, err := parseSignature(s)
	if err != nil {
		panic(err)
	}
	return sig
}

// parseSignature parses a signature such as "<s-nn?:s>".
func parseSignature(s string) (*signature, error) {
	sig := &signature{}
	var param sigParam
	prev := -1 // index of the previous parameter
	next := func() {
		sig.params = append(sig.params, param)
		prev = len(sig.params) - 1
		param = sigParam{}
	}
	closing := func(start int, open, close byte) int {
		depth := 1
		pos := start
		for pos < len(s)-1 {
			pos++
			if s[pos] == close {
				depth--
				if depth == 0 {
					break
				}
			} else if s[pos] == open {
				depth++
			}
		}
		return pos
	}
	for pos := 1; pos < len(s); pos++ {
		sym := s[pos]
		if sym == ':' {
			break
		}
		switch sym {
		case 's', 'n', 'b', 'l', 'o':
			param.regex = "[" + string(sym) + "m]"
			param.typ = string(sym)
			next()
		case 'a':
			param.regex = "[asnblfom]"
			param.typ = "a"
			param.array = true
			next()
		case 'f':
			param.regex = "f"
			param.typ = "f"
			next()
		case 'j':
			param.regex = "[asnblom]"
			param.typ = "j"
			next()
		case 'x':
			param.regex = "[asnblfom]"
			param.typ = "x"
			next()
		case '-':
			if prev >= 0 {
				p := &sig.params[prev]
				p.context = true
				p.regex += "?"
				p.quant = '?'
			}
		case '?', '+':
			if prev >= 0 {
				sig.params[prev].regex += string(sym)
				if sig.params[prev].quant == 0 {
					sig.params[prev].quant = sym
				}
			}
		case '(':
			end := closing(pos, '(', ')')
			if end <= pos || s[end] != ')' {
				return nil, &CompileError{Reason: "unterminated choice in function signature " + s, Position: -1}
			}
			choice := s[pos+1 : end]
			if strings.Contains(choice, "<") {
				return nil, &CompileError{Reason: "choice groups containing parameterized types are not supported (S0402)", Position: -1}
			}
			param.regex = "[" + choice + "m]"
			param.typ = "(" + choice + ")"
			pos = end
			next()
		case '<':
			if prev >= 0 && (sig.params[prev].typ == "a" || sig.params[prev].typ == "f") {
				end := closing(pos, '<', '>')
				if end <= pos || s[end] != '>' {
					return nil, &CompileError{Reason: "unterminated type parameter in function signature " + s, Position: -1}
				}
				sig.params[prev].subtype = s[pos+1 : end]
				pos = end
			} else {
				return nil, &CompileError{Reason: "type parameters can only be applied to functions and arrays (S0401)", Position: -1}
			}
		}
	}
	for i := range sig.params {
		p := &sig.params[i]
		p.class = strings.Trim(strings.TrimRight(p.regex, "?+"), "[]")
	}
	return sig, nil
}

// match matches the argument symbols against the parameters as the
// reference's anchored regular expression does (greedy, backtracking:
// the submatches Go's regexp would report), returning each parameter's
// span of symbols.
func (sig *signature) match(supplied string) ([]string, bool) {
	spans := make([]string, len(sig.params))
	// failed[pi][pos] remembers a state that cannot match, which keeps the
	// search to params × symbols states.
	failed := make([][]bool, len(sig.params))
	for i := range failed {
		failed[i] = make([]bool, len(supplied)+1)
	}
	var m func(pi, pos int) bool
	m = func(pi, pos int) bool {
		if pi == len(sig.params) {
			return pos == len(supplied)
		}
		if failed[pi][pos] {
			return false
		}
		p := &sig.params[pi]
		n := 0 // how many symbols from pos the class accepts
		for pos+n < len(supplied) && strings.IndexByte(p.class, supplied[pos+n]) >= 0 {
			n++
		}
		lo, hi := 1, 1
		switch p.quant {
		case '?':
			lo, hi = 0, 1
		case '+':
			hi = n
		}
		for k := min(hi, n); k >= lo; k-- {
			if m(pi+1, pos+k) {
				spans[pi] = supplied[pos : pos+k]
				return true
			}
		}
		failed[pi][pos] = true
		return false
	}
	return spans, m(0, 0)
}

// symbol is a value's signature letter.
func symbol(v any) byte {
	if isFunction(v) {
		return 'f'
	}
	switch v.(type) {
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case jsonNull:
		return 'l'
	case *array:
		return 'a'
	case *object, *tuple:
		return 'o'
	}
	return 'm'
}

var arrayTypeNames = map[string]string{"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}

// validate checks args against the signature and returns them fixed up.
func (sig *signature) validate(b *budget, args []any, context any, name string) []any {
	supplied := make([]byte, len(args))
	for i, a := range args {
		supplied[i] = symbol(a)
	}
	m, ok := sig.match(string(supplied))
	if !ok {
		sig.fail(args, string(supplied), name)
	}
	out := make([]any, 0, len(sig.params))
	argIndex := 0
	for i, p := range sig.params {
		match := m[i]
		if match == "" {
			if p.context {
				if strings.IndexByte(p.class, symbol(context)) < 0 {
					throwf("T0411", "context value is not a compatible type with argument %d of function %s", argIndex+1, funcName(name))
				}
				out = append(out, context)
			} else {
				var a any
				if argIndex < len(args) {
					a = args[argIndex]
				}
				out = append(out, a)
				argIndex++
			}
			continue
		}
		for j := 0; j < len(match); j++ {
			single := match[j]
			var a any
			if argIndex < len(args) {
				a = args[argIndex]
			}
			if p.typ == "a" {
				if single == 'm' {
					a = nil
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && match != p.subtype {
							ok = false
						} else if single == 'a' {
							items := a.(*array).items
							b.step(len(items))
							if len(items) > 0 {
								itemType := symbol(items[0])
								if itemType != p.subtype[0] {
									ok = false
								} else {
									for _, it := range items {
										if symbol(it) != itemType {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						throwf("T0412", "argument %d of function %s must be an array of %s", argIndex+1, funcName(name), arrayTypeNames[p.subtype])
					}
					if single != 'a' {
						a = newSingleton(a)
						a.(*array).sequence = false
					}
				}
			}
			out = append(out, a)
			argIndex++
		}
	}
	return out
}

func funcName(name string) string {
	if name == "" {
		return "(anonymous)"
	}
	return "$" + name
}

func (sig *signature) fail(args []any, supplied, name string) {
	pattern := "^"
	goodTo := 0
	for _, p := range sig.params {
		pattern += p.regex
		re, err := regexp.Compile(pattern)
		if err != nil {
			break
		}
		loc := re.FindStringIndex(supplied)
		if loc == nil {
			throwf("T0410", "argument %d of function %s does not match function signature", goodTo+1, funcName(name))
		}
		goodTo = loc[1]
	}
	throwf("T0410", "argument %d of function %s does not match function signature", goodTo+1, funcName(name))
}
