import Foundation

/// Executes a parsed template with Jinja2's semantics for the supported subset:
/// Python truthiness and operators, `Undefined` for missing names and attributes,
/// a fresh scope per `for` iteration (so `set` inside a loop does not leak), and
/// namespaces shared by reference.
final class TemplateInterpreter {
    /// Scope stack: index 0 holds globals and render variables.
    private var scopes: [[String: RuntimeValue]]
    private var output = ""
    let clock: @Sendable () -> Date

    /// Outcome of running a block, so `break` / `continue` reach their loop.
    enum Flow { case normal, breakLoop, continueLoop }

    static let globalFunctions = ["raise_exception", "strftime_now", "range", "namespace", "dict"]

    init(variables: [String: RuntimeValue], clock: @escaping @Sendable () -> Date) {
        var root: [String: RuntimeValue] = [:]
        for name in TemplateInterpreter.globalFunctions { root[name] = .function(name) }
        for (name, value) in variables { root[name] = value }
        scopes = [root]
        self.clock = clock
    }

    func render(_ statements: [Statement]) throws(ChatTemplateError) -> String {
        _ = try execute(statements)
        return output
    }

    // MARK: - Variables

    func lookup(_ name: String) -> RuntimeValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined("'\(name)' is undefined")
    }

    private func assign(_ name: String, _ value: RuntimeValue) {
        scopes[scopes.count - 1][name] = value
    }

    private func assign(
        _ target: AssignmentTarget, _ value: RuntimeValue, at location: SourceLocation
    ) throws(ChatTemplateError) {
        switch target {
        case let .name(name):
            assign(name, value)
        case let .attribute(objectName, attribute):
            guard case let .namespace(namespace) = lookup(objectName) else {
                throw renderingError("cannot assign attribute on non-namespace object '\(objectName)'", at: location)
            }
            namespace.attributes[attribute] = value
        case let .tuple(names):
            let items = try iterate(value, at: location)
            guard items.count == names.count else {
                throw renderingError(
                    "cannot unpack \(items.count) values into \(names.count) names", at: location)
            }
            for (name, item) in zip(names, items) { assign(name, item) }
        }
    }

    func renderingError(_ message: String, at location: SourceLocation) -> ChatTemplateError {
        .rendering(message: message, line: location.line, column: location.column)
    }

    // MARK: - Statements

    private func execute(_ statements: [Statement]) throws(ChatTemplateError) -> Flow {
        for statement in statements {
            switch statement {
            case let .output(text):
                output += text
            case let .expression(expression):
                output += try evaluate(expression).pythonString
            case let .conditional(branches, otherwise):
                var taken = false
                for branch in branches {
                    guard try evaluate(branch.condition).isTruthy else { continue }
                    taken = true
                    let flow = try execute(branch.body)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try execute(otherwise)
                    if flow != .normal { return flow }
                }
            case let .forLoop(loop):
                try executeFor(loop)
            case let .set(target, expression, location):
                try assign(target, try evaluate(expression), at: location)
            case let .setBlock(target, body, location):
                let saved = output
                output = ""
                _ = try execute(body)
                let captured = output
                output = saved
                try assign(target, .string(captured), at: location)
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            case let .generation(body):
                let flow = try execute(body)
                if flow != .normal { return flow }
            }
        }
        return .normal
    }

    private func bind(_ target: AssignmentTarget, _ item: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) {
        if case let .attribute(object, _) = target {
            throw renderingError("a loop variable cannot be an attribute of '\(object)'", at: location)
        }
        try assign(target, item, at: location)
    }

    private func executeFor(_ loop: ForLoop) throws(ChatTemplateError) {
        var items = try iterate(try evaluate(loop.iterable), at: loop.iterable.location)
        if let condition = loop.condition {
            var kept: [RuntimeValue] = []
            for item in items {
                scopes.append([:])
                defer { scopes.removeLast() }
                try bind(loop.target, item, at: loop.location)
                if try evaluate(condition).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            scopes.append([:])
            defer { scopes.removeLast() }
            _ = try execute(loop.otherwise)
            return
        }
        let loopObject = LoopObject(items: items)
        for (position, item) in items.enumerated() {
            loopObject.index0 = position
            scopes.append(["loop": .loop(loopObject)])
            defer { scopes.removeLast() }
            try bind(loop.target, item, at: loop.location)
            if try execute(loop.body) == .breakLoop { break }
        }
    }

    /// Python iteration: list items, dict keys, string characters; Undefined is empty.
    func iterate(_ value: RuntimeValue, at location: SourceLocation) throws(ChatTemplateError) -> [RuntimeValue] {
        switch value {
        case let .array(items): return items
        case let .dictionary(map): return map.keys.map { .string($0) }
        case let .string(text): return text.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        case let .loop(object): return object.items
        default: throw renderingError("'\(value.typeName)' object is not iterable", at: location)
        }
    }

    // MARK: - Expressions

    func evaluate(_ expression: Expression) throws(ChatTemplateError) -> RuntimeValue {
        switch expression {
        case let .literal(literal, _):
            return RuntimeValue(literal)
        case let .name(name, _):
            return lookup(name)
        case let .list(items, _), let .tuple(items, _):
            var values: [RuntimeValue] = []
            for item in items { values.append(try evaluate(item)) }
            return .array(values)
        case let .dictionary(pairs, location):
            var map = OrderedMap<RuntimeValue>()
            for pair in pairs {
                guard case let .string(key) = try evaluate(pair.key) else {
                    throw ChatTemplateError.unsupported(
                        construct: "non-string dict key", line: location.line, column: location.column,
                        supported: ["string keys"])
                }
                map[key] = try evaluate(pair.value)
            }
            return .dictionary(map)
        case let .attribute(object, name, location):
            return try attribute(of: try evaluate(object), name, at: location)
        case let .item(object, index, location):
            return try item(of: try evaluate(object), try evaluate(index), at: location)
        case let .slice(object, start, stop, step, location):
            return try slice(
                try evaluate(object), start: try start.map(evaluate), stop: try stop.map(evaluate),
                step: try step.map(evaluate), at: location)
        case let .call(callee, arguments, location):
            let function = try evaluate(callee)
            let (positional, keywords) = try evaluateArguments(arguments)
            return try call(function, positional, keywords, at: location)
        case let .filter(subject, name, arguments, location):
            let value = try evaluate(subject)
            let (positional, keywords) = try evaluateArguments(arguments)
            return try applyFilter(name, value, positional, keywords, at: location)
        case let .test(subject, name, arguments, negated, location):
            let value = try evaluate(subject)
            let (positional, _) = try evaluateArguments(arguments)
            return .bool(try applyTest(name, value, positional, at: location) != negated)
        case let .unary(symbol, operand, location):
            return try unary(symbol, try evaluate(operand), at: location)
        case let .binary(symbol, left, right, location):
            return try binary(symbol, try evaluate(left), try evaluate(right), at: location)
        case let .compare(first, operations, location):
            var left = try evaluate(first)
            for operation in operations {
                let right = try evaluate(operation.right)
                if !(try compare(operation.op, left, right, at: location)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case let .and(left, right, _):
            let value = try evaluate(left)
            return value.isTruthy ? try evaluate(right) : value
        case let .or(left, right, _):
            let value = try evaluate(left)
            return value.isTruthy ? value : try evaluate(right)
        case let .not(operand, _):
            return .bool(!(try evaluate(operand).isTruthy))
        case let .conditional(then, condition, otherwise, _):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined("the conditional expression had no else branch")
        }
    }

    private func evaluateArguments(_ arguments: CallArguments)
        throws(ChatTemplateError) -> ([RuntimeValue], OrderedMap<RuntimeValue>)
    {
        var positional: [RuntimeValue] = []
        for argument in arguments.positional { positional.append(try evaluate(argument)) }
        var keywords = OrderedMap<RuntimeValue>()
        for keyword in arguments.keywords { keywords[keyword.name] = try evaluate(keyword.value) }
        return (positional, keywords)
    }
}
