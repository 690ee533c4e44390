extension TemplateParser {
    mutating func parsePrimary() throws(ChatTemplateError) -> Expression {
        let token = takeToken()
        let location = token.location
        switch token.kind {
        case let .name(name):
            switch name {
            case "true", "True": return .literal(.bool(true), location)
            case "false", "False": return .literal(.bool(false), location)
            case "none", "None": return .literal(.none, location)
            default: return .name(name, location)
            }
        case var .string(text):
            // Adjacent string literals concatenate, as in Python.
            while case let .string(more) = peekToken.kind {
                text += more
                _ = takeToken()
            }
            return .literal(.string(text), location)
        case let .integer(value):
            return .literal(.int(value), location)
        case let .float(value):
            return .literal(.double(value), location)
        case .symbol("("):
            if peekToken.isSymbol(")") {
                _ = takeToken()
                return .tuple([], location)
            }
            let inner = try parseTuple()
            try expect(")")
            return inner
        case .symbol("["):
            var items: [Expression] = []
            while !peekToken.isSymbol("]") {
                if !items.isEmpty { try expect(",") }
                if peekToken.isSymbol("]") { break }
                items.append(try parseExpression())
            }
            try expect("]")
            return .list(items, location)
        case .symbol("{"):
            var pairs: [(key: Expression, value: Expression)] = []
            while !peekToken.isSymbol("}") {
                if !pairs.isEmpty { try expect(",") }
                if peekToken.isSymbol("}") { break }
                let key = try parseExpression()
                try expect(":")
                pairs.append((key, try parseExpression()))
            }
            try expect("}")
            return .dictionary(pairs, location)
        default:
            throw ChatTemplateError.syntax(
                message: "unexpected \(token.spelling)", line: location.line, column: location.column)
        }
    }

    mutating func parsePostfix(_ start: Expression) throws(ChatTemplateError) -> Expression {
        var node = start
        while true {
            let token = peekToken
            if token.isSymbol(".") {
                _ = takeToken()
                let attribute = takeToken()
                switch attribute.kind {
                case let .name(name): node = .attribute(node, name, token.location)
                case let .integer(value): node = .item(node, .literal(.int(value), attribute.location), token.location)
                default:
                    throw ChatTemplateError.syntax(
                        message: "expected an attribute name after '.', found \(attribute.spelling)",
                        line: attribute.location.line, column: attribute.location.column)
                }
            } else if token.isSymbol("[") {
                _ = takeToken()
                node = try parseSubscript(node, at: token.location)
            } else if token.isSymbol("(") {
                _ = takeToken()
                node = .call(node, try parseCallArguments(), token.location)
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ object: Expression, at location: SourceLocation) throws(ChatTemplateError) -> Expression {
        var parts: [Expression?] = [nil]
        var sawColon = false
        while !peekToken.isSymbol("]") {
            if peekToken.isSymbol(":") {
                _ = takeToken()
                sawColon = true
                parts.append(nil)
                if parts.count > 3 {
                    throw ChatTemplateError.syntax(
                        message: "a slice takes at most start:stop:step", line: location.line, column: location.column)
                }
                continue
            }
            if parts[parts.count - 1] != nil {
                throw ChatTemplateError.syntax(
                    message: "expected ']' or ':', found \(peekToken.spelling)",
                    line: peekToken.location.line, column: peekToken.location.column)
            }
            parts[parts.count - 1] = try parseExpression()
        }
        try expect("]")
        if !sawColon {
            guard let index = parts[0] else {
                throw ChatTemplateError.syntax(message: "empty subscript '[]'", line: location.line, column: location.column)
            }
            return .item(object, index, location)
        }
        while parts.count < 3 { parts.append(nil) }
        return .slice(object, start: parts[0], stop: parts[1], step: parts[2], location)
    }

    mutating func parseCallArguments() throws(ChatTemplateError) -> CallArguments {
        var arguments = CallArguments()
        while !peekToken.isSymbol(")") {
            if !arguments.positional.isEmpty || !arguments.keywords.isEmpty { try expect(",") }
            if peekToken.isSymbol(")") { break }
            if peekToken.isSymbol("*") || peekToken.isSymbol("**") {
                let location = peekToken.location
                throw ChatTemplateError.unsupported(
                    construct: "argument unpacking", line: location.line, column: location.column,
                    supported: ["positional arguments", "keyword arguments"])
            }
            if case let .name(name) = peekToken.kind, tokenAfterPeek.isSymbol("=") {
                _ = takeToken()
                _ = takeToken()
                arguments.keywords.append((name, try parseExpression()))
            } else {
                if !arguments.keywords.isEmpty {
                    throw ChatTemplateError.syntax(
                        message: "positional argument after keyword argument",
                        line: peekToken.location.line, column: peekToken.location.column)
                }
                arguments.positional.append(try parseExpression())
            }
        }
        try expect(")")
        return arguments
    }

    mutating func parseFilterExpression(_ start: Expression) throws(ChatTemplateError) -> Expression {
        var node = start
        while true {
            let token = peekToken
            if token.isSymbol("|") {
                _ = takeToken()
                let nameToken = peekToken
                var name = try takeName()
                while peekToken.isSymbol(".") {
                    _ = takeToken()
                    name += "." + (try takeName())
                }
                guard TemplateFilters.supportedNames.contains(name) else {
                    throw ChatTemplateError.unsupported(
                        construct: "filter '\(name)'", line: nameToken.location.line, column: nameToken.location.column,
                        supported: TemplateFilters.supportedNames.sorted())
                }
                var arguments = CallArguments()
                if peekToken.isSymbol("(") {
                    _ = takeToken()
                    arguments = try parseCallArguments()
                }
                node = .filter(node, name: name, arguments, nameToken.location)
            } else if token.isName("is") {
                _ = takeToken()
                node = try parseTest(node, at: token.location)
            } else if token.isSymbol("(") {
                _ = takeToken()
                node = .call(node, try parseCallArguments(), token.location)
            } else {
                return node
            }
        }
    }

    private mutating func parseTest(_ subject: Expression, at location: SourceLocation) throws(ChatTemplateError) -> Expression {
        var negated = false
        if peekToken.isName("not") {
            _ = takeToken()
            negated = true
        }
        let nameToken = peekToken
        let name: String
        // `is none`, `is true`, `is false` spell their test names with keywords.
        name = try takeName()
        guard TemplatePredicates.supportedNames.contains(name) else {
            throw ChatTemplateError.unsupported(
                construct: "test '\(name)'", line: nameToken.location.line, column: nameToken.location.column,
                supported: TemplatePredicates.supportedNames.sorted())
        }
        var arguments = CallArguments()
        if peekToken.isSymbol("(") {
            _ = takeToken()
            arguments = try parseCallArguments()
        } else if startsPrimaryArgument(peekToken) {
            if peekToken.isName("is") {
                throw ChatTemplateError.syntax(
                    message: "cannot chain tests with 'is'", line: peekToken.location.line,
                    column: peekToken.location.column)
            }
            let argument = try parsePostfix(try parsePrimary())
            arguments.positional = [argument]
        }
        return .test(subject, name: name, arguments, negated: negated, location)
    }

    private func startsPrimaryArgument(_ token: TemplateToken) -> Bool {
        switch token.kind {
        case let .name(name): return !["else", "or", "and"].contains(name)
        case .string, .integer, .float: return true
        case let .symbol(symbol): return ["(", "[", "{"].contains(symbol)
        default: return false
        }
    }
}
