"""Cross-file names to relationships: the raw References of every file become Edges between elements.

Runs in the main process over the FileResults of the whole codebase: pure Python, no database, no
tree-sitter. ``Resolver.__init__`` builds the file indexes of each language family; the scope tables
of a file are built lazily, once, the first time the file is consulted; import bindings, base-class
lists, MROs and member look-ups are memoised, so ``resolve()`` costs a few dictionary look-ups per
reference.

Edges
-----
* ``contains``: parent element -> child element, one per element with a parent (line: the child's).
* ``imports``: one per import reference. The source is the element enclosing the import (normally
  the module). The target is the internal module (element 0 of its file) or, for ``from m import X``
  and named JS/TS imports, the imported definition itself (followed through re-exports). An import
  from outside the codebase has ``external`` (the package: ``numpy``, ``@scope/pkg``, ``fs``) and
  ``ecosystem`` instead. ``target_name`` is the module as written (a Python relative import keeps
  its leading dots).
* ``calls``: one per call reference; ``target_name`` is the callee as written. Calling a class
  resolves to its constructor (``__init__`` / ``constructor``, own or inherited) when one is
  defined, else to the class. Unresolved calls are kept with ``resolved=False``.
* ``inherits`` / ``implements``: the class (or interface) -> the base class / interface.
* ``decorates``: source is the decorated function or class (the element the decorator is written
  on), target is the decorator (a function, or a class used as a decorator). The direction is the
  one of every reference edge: from the element where the name is written to what it names.

Precision over recall: a name resolves only by the language's own rules (scopes, imports, packages,
base classes, declared types). Nothing is matched by a global search for the same name, so builtins,
dynamic attributes and methods called on variables of unknown type stay unresolved. Declared types
are followed where the FileResult records them: a function's return type (``make().run()``,
``New().Add()``) and a Java field's type (``field.m()``).

Per language
------------
Python: LEGB scopes without class bodies for methods (a name written directly in a class body
sees the class body); parameters shadow; the first parameter of a method is the instance (the class
in a classmethod); ``import a.b.c`` binds ``a``; ``import a.b as x``; ``from m import y as z``
(a definition, a re-export followed through other imports, or a submodule); relative imports;
star imports (``__all__`` honoured); modules under a source root (``src/pkg/mod.py`` is
``pkg.mod`` when ``src`` is no package) but never in place of a standard-library module;
``self.m``/``cls.m`` and ``super().m`` along the C3 MRO of the internal bases; ``Foo().m``.

JavaScript/TypeScript: relative specifiers to files (``.ts .tsx .mts .cts .js .jsx .mjs .cjs
.d.ts``, ``x.js`` written for ``x.ts``, ``dir/index.*``) and root-relative paths that name an
existing file; named, default, namespace and ``require`` imports; ``export ... from`` re-exports
and ``export *`` chains; ``this.m``/``super.m``/``super()`` along the ``extends`` chain (``this``
in a non-arrow function is unknown); ``new Foo()`` to ``constructor``; namespaces. Bare specifiers
are external packages (``npm``; Node builtins ``node``). A FileResult does not record which
definition ``export default`` names: a default import resolves to the module's top-level
definition of the same name as the importing binding (``import Foo from './Foo'``), else to nothing
(the imports edge then targets the module).

Go: a package is a directory. The module path (``github.com/org/repo``) is inferred from the
imports that end with a directory of the codebase (go.mod is not among the analysed files), so
``github.com/org/repo/internal/x`` is ``internal/x``; other paths are external (``stdlib`` without
a dot in the first segment, else ``go``). Same-package names across the files of a directory;
``pkg.F()``; ``recv.M()`` through the receiver's type, methods declared in any file of the package;
methods promoted from embedded types.

Java: types by fully qualified name; single-type, on-demand and static imports; same-package
types; members of the enclosing types (inherited ones too) for ``m()``; ``this.m()``,
``super.m()``, ``super()`` along the superclass and interface chain; ``new C()`` to C's own
constructor. External: ``stdlib`` for ``java.``/``javax.``/``jdk.``/``sun.`` packages, else
``maven`` (the package's first three segments).

Rust: ``use`` paths from ``crate::``/``self::``/``super::``, from names in scope, from other crates
of the codebase and (2015 style) from the crate root; ``mod x;`` imports the module's file;
``Type::f``/``Self::f``/``self.m()`` through ``impl`` blocks anywhere in the codebase and the
default methods of implemented traits; ``pub use`` re-exports and glob imports. External crates are
``cargo`` (``std``/``core``/``alloc``/``proc_macro``/``test`` are ``stdlib``).

Incremental runs
----------------
``dependents(paths)`` is the reverse closure over "may consult": Python imports (and the
submodules reached by attribute from an imported package), JS/TS specifiers, Go and Java packages
(every file of the same package too) and imports, Rust crates (a path may name any module of its
crate). ``interface_key(result)`` tells whether a changed file can change other files' edges at all.
"""

from __future__ import annotations

import posixpath
import re
import sys
from dataclasses import dataclass
from itertools import starmap
from typing import Iterable, Mapping, NamedTuple

from graph_sitter.codebase.collector import collector_paused
from graph_sitter.codebase.model import FUNCTION_KINDS, TYPE_KINDS, FileResult, Reference

__all__ = ["EDGE_KINDS", "Edge", "EdgeRow", "Resolver", "interface_key", "resolve_all"]

EDGE_KINDS = ("contains", "imports", "calls", "inherits", "implements", "decorates")
_EDGE_KIND = {"call": "calls", "import": "imports", "inherit": "inherits", "implement": "implements",
              "decorate": "decorates"}
_MAX_DEPTH = 24


@dataclass(slots=True)
class Edge:
    """One relationship; the site is (source_file, line), its element source_index there."""

    kind: str                 # 'contains' | 'imports' | 'calls' | 'inherits' | 'implements' | 'decorates'
    source_file: str          # FileResult.path of the site
    source_index: int         # index of the source element in that file's FileResult.elements
    target_file: str | None   # resolved internal target: its file ...
    target_index: int | None  # ... and element index there (None when unresolved or external)
    target_name: str          # as written (calls/inherits/...); the module (imports); the child's qn (contains)
    external: str | None      # imports resolved outside the codebase: the package/crate/module name
    ecosystem: str | None     # for external: 'stdlib', 'node', 'pypi', 'npm', 'go', 'maven', 'cargo'
    line: int
    resolved: bool            # internal target found, or (imports) the external package identified


#: An Edge's fields as a plain tuple, in field order. The resolver makes these: a tuple costs a fraction of
#: a dataclass instance, and the pipeline formats half a million of them per run without needing an Edge.
#: ``Resolver.resolve`` wraps them in Edges; ``Resolver.resolve_rows`` hands them out as they are.
EdgeRow = tuple[str, str, int, str | None, int | None, str, str | None, str | None, int, bool]


# --- resolution values ------------------------------------------------------------------------------
# A name resolves to one of:
#   (fid, index)         a plain tuple: an internal element
#   _Inst(fid, index)    an instance of the internal type (self, this, Foo())
#   _Ext(name, eco)      something from an external package
#   _OPAQUE              bound, but to something that cannot be followed (a parameter, a failed import)
#   None                 not bound at all (the next scope is tried; a builtin in the end)


class _Inst(NamedTuple):
    fid: int
    index: int


class _Ext(NamedTuple):
    package: str
    ecosystem: str


class _Opaque:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<opaque>"


_OPAQUE = _Opaque()
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names)
_NODE_BUILTINS = frozenset(
    "assert async_hooks buffer child_process cluster console constants crypto dgram diagnostics_channel "
    "dns domain events fs http http2 https inspector module net os path perf_hooks process punycode "
    "querystring readline repl stream string_decoder sys timers tls trace_events tty url util v8 vm wasi "
    "worker_threads zlib".split()
)
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_VARIABLE_KINDS = frozenset({"variable", "constant"})


def _is_name(text: str) -> bool:
    return text.isidentifier() or ("$" in text and text.replace("$", "_").isidentifier())


class _Family:
    """One language family's rules over its files; this base keeps every reference unresolved."""

    def __init__(self, core: "Resolver", fids: list[int]) -> None:
        self.core = core
        self.fids = fids
        self.files = core._results

    def resolve_file(self, fid: int, out: list[EdgeRow]) -> None:
        """Append the import/call/inherit/implement/decorate edges of one file to ``out`` (as EdgeRows)."""
        result = self.files[fid]
        path = result.path
        for ref in result.references:
            name = ref.name if ref.kind != "import" else (ref.module or ref.name)
            out.append((_EDGE_KIND.get(ref.kind, ref.kind), path, ref.source, None, None, name, None, None,
                        ref.line, False))

    def import_keys(self, fid: int) -> Iterable[str]:
        """Names of files this file's resolution may consult (for ``dependents``)."""
        return ()

    def path_names(self, path: str) -> Iterable[str]:
        """The names under which other files refer to the file at ``path`` (which may be deleted)."""
        return ()


# --- scoped languages: shared machinery ------------------------------------------------------------------

class _Index:
    """Scope tables of one file: scope element -> name -> candidate bindings.

    A candidate is an element index (>= 0) or an import reference ``ri`` written ``-ri - 1``. When a
    scope binds a name several times, definitions come first (the last one: the implementation
    after overload stubs), then imports (the first one: the ``try`` branch), then plain variables.
    """

    __slots__ = ("names", "stars", "bases", "params", "heads")

    def __init__(self, result: FileResult, family: "_Scoped") -> None:
        elements = result.elements
        names: dict[int, dict[str, list[int]]] = {}
        multi: set[tuple[int, str]] = set()
        for index in range(1, len(elements)):
            element = elements[index]
            parent = element.parent
            kind = element.kind
            if kind == "import" or parent is None:
                continue
            if kind == "method" and elements[parent].kind not in TYPE_KINDS:
                # A Go/Rust method whose receiver type lives in another file: no name of its scope.
                continue
            scope = names.get(parent)
            if scope is None:
                scope = names[parent] = {}
            name = element.name
            bound = scope.get(name)
            if bound is None:
                scope[name] = [index]
            else:
                bound.append(index)
                multi.add((parent, name))
        stars: dict[int, list[int]] = {}
        bases: dict[int, list[str]] = {}
        local_name = family.local_name
        base_kinds = family.base_kinds
        reexport_binds = family.reexport_binds
        for ri, ref in enumerate(result.references):
            kind = ref.kind
            if kind == "call":
                continue  # most references; none binds a name
            if kind == "import":
                if ref.reexport and not reexport_binds:
                    continue
                if ref.imported_name == "*" and not ref.alias:
                    stars.setdefault(ref.source, []).append(ri)
                    continue
                local = local_name(ref)
                if not local:
                    continue
                scope = names.get(ref.source)
                if scope is None:
                    scope = names[ref.source] = {}
                bound = scope.get(local)
                if bound is None:
                    scope[local] = [-ri - 1]
                else:
                    bound.append(-ri - 1)
                    multi.add((ref.source, local))
            elif kind in base_kinds:
                bases.setdefault(ref.source, []).append(ref.name)

        def priority(candidate: int) -> tuple[int, int]:
            if candidate < 0:
                return (1, -candidate)
            return (2 if elements[candidate].kind in _VARIABLE_KINDS else 0, -candidate)

        for scope_index, name in multi:
            names[scope_index][name].sort(key=priority)
        self.names = names
        self.stars = stars
        self.bases = bases
        self.params: dict[int, frozenset[str]] = {}
        self.heads: dict[str, object] = {}  # module-scope name -> binding


class _Scoped(_Family):
    """Lexical scopes, import bindings, types with bases and members: what every family shares.
    The subclasses override the hooks below with their language's rules."""

    index_type: type[_Index] = _Index
    constructor_name = "__init__"
    class_body_scope = False     # Python: a name written directly in a class body sees the class body
    this_keyword: str | None = None
    super_keyword = False        # ``super.m`` / ``super`` (JS, Java) rather than ``super().m`` (Python)
    module_kinds = frozenset({"module"})
    types_are_scopes = False     # Java: members of enclosing types (inherited ones too) are in scope
    base_kinds: tuple[str, ...] = ("inherit",)   # the references whose targets make up the MRO
    reexport_binds = False       # a re-export binds its name locally too (Rust ``pub use``)

    def __init__(self, core: "Resolver", fids: list[int]) -> None:
        super().__init__(core, fids)
        self._index: list[_Index | None] = [None] * len(self.files)
        self._bindings: dict[tuple[int, int], object] = {}
        self._members: dict[tuple[int, int, str, bool], object] = {}
        self._mro: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {}
        self._returns: dict[tuple[int, int], object] = {}
        # (type of the head's value, the value, the rest of the name) -> where the call ``head.rest()``
        # lands: the walk from a head's value does not depend on where the name is written, so ``self.m``
        # in every method of a class, or ``os.path.join`` in every file, is walked once.
        self._walked: dict[tuple[type, object, str], tuple[str, int] | None] = {}
        # call() spells out expression() for a dotted name with a plain head (look the head up, then
        # walk()); a family that overrides expression() (Java, Rust) keeps its own for those names.
        self._plain_dotted = type(self).expression is _Scoped.expression
        self._active: set = set()
        self._depth = 0
        # Counts the look-ups cut short by a cycle or the depth limit: a result computed while it
        # grew is incomplete and is not memoised.
        self._cuts = 0

    # hooks -----------------------------------------------------------------------------------------
    def local_name(self, ref: Reference) -> str | None:
        """The name an import reference binds in its scope."""
        return ref.alias or ref.imported_name

    def bind(self, fid: int, ref: Reference):
        """What an import reference's binding refers to."""
        return _OPAQUE

    def star_lookup(self, fid: int, ref: Reference, name: str):
        """``name`` through the star import ``ref`` (None: not there)."""
        return None

    def module_attr(self, fid: int, index: int, name: str):
        """Attribute ``name`` of the module element ``index`` of file ``fid``."""
        return self.scope_lookup(fid, index, name, stars=False)

    def import_edge(self, fid: int, path: str, ref: Reference) -> EdgeRow | None:
        """The imports edge of one import reference (None: the reference imports nothing)."""
        return ("imports", path, ref.source, None, None, ref.module or ref.name, None, None, ref.line, False)

    def parameter(self, fid: int, function: int, name: str):
        """What the parameter ``name`` of the function element ``function`` refers to."""
        return _OPAQUE

    def top_lookup(self, fid: int, name: str):
        """A name at the top of a file: its module scope (Go and Java add the package)."""
        return self.scope_lookup(fid, 0, name)

    def type_scope(self, fid: int, cls: int, name: str, direct: bool):
        """A name looked up through an enclosing type: Python sees a class body only from code
        written directly in it; Java sees every member, inherited ones too."""
        if direct and self.class_body_scope:
            table = self.index(fid).names.get(cls)
            if table is not None and name in table:
                return self.scope_lookup(fid, cls, name, stars=False)
        return None

    def inner_module_lookup(self, fid: int, module: int, name: str):
        """A name inside an inline module (TypeScript namespace): its own names, then the outer scopes."""
        target = self.scope_lookup(fid, module, name, stars=False)
        if target is not None:
            return target
        parent = self.files[fid].elements[module].parent
        return self.lookup(fid, parent, name, False) if parent is not None else None

    def own_member(self, fid: int, cls: int, name: str):
        """A member declared by the type itself (not inherited)."""
        return self.scope_lookup(fid, cls, name, stars=False)

    def type_name(self, text: str) -> str | None:
        """The type a declared return/field type names, when it is a plain (dotted) name."""
        text = text.strip()
        if _DOTTED.fullmatch(text):
            return text
        return None

    def param_names(self, function) -> frozenset[str]:
        names: set[str] = set()
        for parameter in function.parameters:
            if parameter[:1] in ("{", "["):
                names.update(_IDENTIFIER.findall(parameter))
            else:
                names.add(parameter.lstrip("*.&"))
        return frozenset(names)

    # memoised steps --------------------------------------------------------------------------------
    def index(self, fid: int) -> _Index:
        found = self._index[fid]
        if found is None:
            found = self._index[fid] = self.index_type(self.files[fid], self)
        return found

    def guarded(self, key, function, *args):
        """``function(*args)`` unless ``key`` is already being computed (a cycle): then None."""
        if key in self._active or self._depth > _MAX_DEPTH:
            self._cuts += 1
            return None
        self._active.add(key)
        self._depth += 1
        try:
            return function(*args)
        finally:
            self._depth -= 1
            self._active.discard(key)

    def binding(self, fid: int, ri: int):
        """What the name bound by import reference ``ri`` of file ``fid`` refers to."""
        key = (fid, ri)
        found = self._bindings.get(key, key)
        if found is not key:
            return found
        cuts = self._cuts
        found = self.guarded(key, self.bind, fid, self.files[fid].references[ri])
        if cuts == self._cuts:
            self._bindings[key] = found
        return found

    def scope_lookup(self, fid: int, scope: int, name: str, stars: bool = True):
        """The binding of ``name`` in one scope's own table (then its star imports)."""
        index = self._index[fid] or self.index(fid)
        table = index.names.get(scope)
        fallback = None
        if table is not None:
            candidates = table.get(name)
            if candidates is not None:
                for candidate in candidates:
                    if candidate >= 0:
                        return (fid, candidate)
                    target = self.binding(fid, -candidate - 1)
                    if type(target) is tuple:
                        return target
                    if fallback is None and target is not None:
                        fallback = target
                if fallback is None:
                    fallback = _OPAQUE
                if fallback is not _OPAQUE:
                    return fallback
        if stars:
            star_refs = index.stars.get(scope)
            if star_refs:
                references = self.files[fid].references
                for ri in star_refs:
                    target = self.star_lookup(fid, references[ri], name)
                    if target is not None and target is not _OPAQUE:
                        return target
                    if fallback is None and target is _OPAQUE:
                        fallback = _OPAQUE
        return fallback

    def element(self, target):
        """The Element of an internal (fid, index) target."""
        return self.files[target[0]].elements[target[1]]

    # classes ---------------------------------------------------------------------------------------
    def bases(self, fid: int, cls: int) -> list[tuple[int, int]]:
        names = self.index(fid).bases.get(cls)
        if not names:
            return []
        # Base names are evaluated in the scope around the class.
        scope = self.files[fid].elements[cls].parent or 0
        found = []
        for name in names:
            target = self.expression(fid, scope, name, True)
            if type(target) is tuple and self.element(target).kind in TYPE_KINDS and target != (fid, cls):
                found.append(target)
        return found

    def mro(self, fid: int, cls: int) -> tuple[tuple[int, int], ...]:
        """C3 linearisation over the internal bases (unresolved bases are left out)."""
        key = (fid, cls)
        found = self._mro.get(key)
        if found is not None:
            return found
        cuts = self._cuts
        found = self.guarded(("mro", key), self._linearise, fid, cls)
        if found is None:
            return (key,)
        if cuts == self._cuts:
            self._mro[key] = found
        return found

    def _linearise(self, fid: int, cls: int) -> tuple[tuple[int, int], ...]:
        key = (fid, cls)
        bases = self.bases(fid, cls)
        if not bases:
            return (key,)
        if len(bases) == 1:
            rest = self.mro(*bases[0])
            return (key,) + tuple(item for item in rest if item != key)
        sequences = [list(self.mro(*base)) for base in bases] + [list(bases)]
        result = [key]
        while True:
            sequences = [s for s in sequences if s]
            if not sequences:
                break
            head = None
            for sequence in sequences:
                candidate = sequence[0]
                if not any(candidate in s[1:] for s in sequences):
                    head = candidate
                    break
            if head is None:
                # An inconsistent hierarchy: depth-first order for the rest.
                for sequence in sequences:
                    result.extend(item for item in sequence if item not in result)
                break
            if head not in result:
                result.append(head)
            for sequence in sequences:
                if sequence and sequence[0] == head:
                    del sequence[0]
        return tuple(result)

    def member(self, fid: int, cls: int, name: str, skip_self: bool = False):
        """Attribute ``name`` of internal type ``cls``: its own definitions, then along its MRO."""
        key = (fid, cls, name, skip_self)
        found = self._members.get(key, key)
        if found is not key:
            return found
        found = None
        cuts = self._cuts
        order = self.mro(fid, cls)
        for klass in order[1:] if skip_self else order:
            target = self.own_member(klass[0], klass[1], name)
            if target is not None:
                found = target
                break
        if cuts == self._cuts:
            self._members[key] = found
        return found

    def constructor(self, target: tuple[int, int]):
        init = self.member(target[0], target[1], self.constructor_name)
        if type(init) is tuple and self.element(init).kind in FUNCTION_KINDS:
            return init
        return target

    # names and expressions -------------------------------------------------------------------------
    def lookup(self, fid: int, scope: int, name: str, direct: bool):
        """A plain name used in ``scope``: the enclosing functions (and namespaces), then the module.
        Class bodies are no scope for the functions inside them."""
        index = self._index[fid] or self.index(fid)
        elements = self.files[fid].elements
        tables = index.names
        current: int | None = scope
        while current:
            element = elements[current]
            kind = element.kind
            if kind in FUNCTION_KINDS:
                params = index.params.get(current)
                if params is None:
                    params = index.params[current] = self.param_names(element)
                if name in params:
                    return self.parameter(fid, current, name)
                table = tables.get(current)
                if table is not None and name in table:
                    target = self.scope_lookup(fid, current, name, stars=False)
                    if target is not None:
                        return target
            elif kind in TYPE_KINDS:
                if direct or self.types_are_scopes:
                    target = self.type_scope(fid, current, name, direct)
                    if target is not None:
                        return target
            elif kind in self.module_kinds:
                return self.inner_module_lookup(fid, current, name)
            else:
                table = tables.get(current)
                if table is not None and name in table:
                    target = self.scope_lookup(fid, current, name, stars=False)
                    if target is not None:
                        return target
            direct = False
            current = element.parent
        if current is None:
            return None
        heads = index.heads
        found = heads.get(name, heads)
        if found is heads:
            cuts = self._cuts
            found = self.top_lookup(fid, name)
            if cuts == self._cuts:
                heads[name] = found
        return found

    def enclosing_type(self, fid: int, scope: int) -> int | None:
        """The innermost type element around ``scope``."""
        elements = self.files[fid].elements
        current: int | None = scope
        while current is not None:
            if elements[current].kind in TYPE_KINDS:
                return current
            current = elements[current].parent
        return None

    def this_value(self, fid: int, scope: int):
        """``this`` at ``scope``: an instance of the enclosing class (arrow functions see through)."""
        elements = self.files[fid].elements
        current: int | None = scope
        while current:
            element = elements[current]
            kind = element.kind
            if kind == "method":
                parent = element.parent
                if parent is not None and elements[parent].kind in TYPE_KINDS:
                    return _Inst(fid, parent)
                return _OPAQUE
            if kind in TYPE_KINDS:
                return _Inst(fid, current)
            if kind == "function" and "=>" not in (element.signature or ""):
                return _OPAQUE
            current = element.parent
        return _OPAQUE

    def attr(self, target, name: str):
        if type(target) is tuple:
            element = self.files[target[0]].elements[target[1]]
            kind = element.kind
            if kind in self.module_kinds:
                return self.module_attr(target[0], target[1], name)
            if kind in TYPE_KINDS:
                return self.member(target[0], target[1], name)
            if kind in _VARIABLE_KINDS and element.return_type:
                # A field or variable of a declared type (Java fields): a member of that type.
                declared = self.declared_type(target)
                if type(declared) is tuple:
                    return self.member(declared[0], declared[1], name)
            return _OPAQUE
        if type(target) is _Inst:
            return self.member(target[0], target[1], name)
        if type(target) is _Ext:
            return target
        return None

    def called(self, target):
        """The value of calling ``target``: an instance of a class, or of a function's declared
        return type; else unknown."""
        if type(target) is tuple:
            kind = self.element(target).kind
            if kind in TYPE_KINDS:
                return _Inst(target[0], target[1])
            if kind in FUNCTION_KINDS and self.element(target).return_type:
                declared = self.declared_type(target)
                if type(declared) is tuple:
                    return _Inst(declared[0], declared[1])
            return None
        if type(target) is _Ext:
            return target
        return None

    def declared_type(self, target: tuple[int, int]):
        """The internal type named by an element's declared (return or field) type."""
        found = self._returns.get(target, target)
        if found is not target:
            return found
        cuts = self._cuts
        found = self.guarded(("type", target), self._declared_type, target)
        if cuts == self._cuts:
            self._returns[target] = found
        return found

    def _declared_type(self, target: tuple[int, int]):
        element = self.element(target)
        name = self.type_name(element.return_type or "")
        if not name:
            return None
        scope = element.parent or 0
        found = self.expression(target[0], scope, name, True)
        if type(found) is tuple and self.element(found).kind in TYPE_KINDS:
            return found
        return None

    def expression(self, fid: int, scope: int, name: str, direct: bool):
        """Resolve a dotted reference name (``a.b.c``, ``self.m``, ``super().m``, ``Foo().m``)."""
        if "." not in name:
            if name.isidentifier():
                if name == self.this_keyword:
                    return self.this_value(fid, scope)
                if name == "super" and self.super_keyword:
                    cls = self.enclosing_type(fid, scope)
                    if cls is None:
                        return None
                    bases = self.mro(fid, cls)[1:]
                    return self.called_base(bases)
                return self.lookup(fid, scope, name, direct)
            if not (name.endswith("()") or "$" in name):
                return None
        parts = name.split(".")
        head = parts[0]
        if head.endswith("()"):
            head = head[:-2]
            if head == "super" and not self.super_keyword:
                return self.super_attr(fid, scope, parts[1:])
            if not _is_name(head):
                return None
            target = self.called(self.lookup(fid, scope, head, direct))
        elif head == self.this_keyword:
            target = self.this_value(fid, scope)
        elif head == "super" and self.super_keyword:
            return self.super_attr(fid, scope, parts[1:])
        elif _is_name(head):
            target = self.lookup(fid, scope, head, direct)
        else:
            return None
        return self.walk(target, parts, 1)

    def walk(self, target, parts: list[str], start: int):
        for position in range(start, len(parts)):
            if target is None or target is _OPAQUE:
                return None
            part = parts[position]
            if part.endswith("()"):
                part = part[:-2]
                if not _is_name(part):
                    return None
                target = self.called(self.attr(target, part))
            elif _is_name(part):
                target = self.attr(target, part)
            else:
                return None
        return target

    def called_base(self, bases):
        """``super(...)``: the first internal base class (the call lands on its constructor)."""
        for base in bases:
            if self.element(base).kind in ("class", "struct"):
                return base
        return None

    def super_attr(self, fid: int, scope: int, rest: list[str]):
        if not rest:
            return None
        cls = self.enclosing_type(fid, scope)
        if cls is None:
            return None
        part = rest[0]
        if not _is_name(part):
            return None
        return self.walk(self.member(fid, cls, part, skip_self=True), rest, 1)

    # edges -----------------------------------------------------------------------------------------
    def call_target(self, target):
        """The element a call of ``target`` lands on, as (path, index), or None."""
        if type(target) is not tuple:
            return None
        kind = self.element(target).kind
        if kind in TYPE_KINDS:
            target = self.constructor(target)
        elif kind in self.module_kinds:
            return None
        return (self.files[target[0]].path, target[1])

    def call(self, fid: int, scope: int, name: str, names: dict[tuple[int, str], object]) -> tuple[str, int] | None:
        """Where a call of ``name`` written in ``scope`` lands, as (path, index), or None.

        ``names`` memoises the file's look-ups of plain names, ``lookup(fid, scope, name, True)`` by
        (scope, name): a plain call and the head of a dotted one (``x`` of ``x.a.b``) share it. What
        follows the head goes through the ``_walked`` memo. Both only keep results computed without a
        cut (see ``_cuts``), like every memo here, so the edges are those of ``expression()``.
        """
        head, dot, rest = name.partition(".")
        if not head.isidentifier() or head == self.this_keyword or head == "super" or (
                dot and not self._plain_dotted):
            target = self.expression(fid, scope, name, True)
            return self.call_target(target) if type(target) is tuple else None
        key = (scope, head)
        base = names.get(key, key)
        if base is key:
            cuts = self._cuts
            base = self.lookup(fid, scope, head, True)
            if cuts == self._cuts:
                names[key] = base
        if not dot:
            return self.call_target(base) if type(base) is tuple else None
        # expression(): the head's value, then walk() along the rest.
        if base is None or base is _OPAQUE:
            return None
        key = (type(base), base, rest)  # the type too: _Inst(f, i) == (f, i), yet the walks differ
        found = self._walked.get(key, key)
        if found is key:
            cuts = self._cuts
            target = self.walk(base, rest.split("."), 0)
            found = self.call_target(target) if type(target) is tuple else None
            if cuts == self._cuts:
                self._walked[key] = found
        return found

    def resolve_file(self, fid: int, out: list[EdgeRow]) -> None:
        result = self.files[fid]
        path = result.path
        elements = result.elements
        append = out.append
        calls: dict[tuple[int, str], tuple[str, int] | None] = {}  # (source, name) -> call()
        names: dict[tuple[int, str], object] = {}  # see call()
        call = self.call
        for ref in result.references:
            kind = ref.kind
            source = ref.source
            name = ref.name
            if kind == "call":
                key = (source, name)
                target = calls.get(key, key)
                if target is key:
                    cuts = self._cuts
                    target = call(fid, source, name, names)
                    if cuts == self._cuts:
                        calls[key] = target
                if target is None:
                    append(("calls", path, source, None, None, name, None, None, ref.line, False))
                else:
                    append(("calls", path, source, target[0], target[1], name, None, None, ref.line, True))
            elif kind == "import":
                edge = self.import_edge(fid, path, ref)
                if edge is not None:
                    append(edge)
            else:
                # Bases and decorators are evaluated in the scope around the class or function.
                scope = elements[source].parent if source else 0
                target = self.expression(fid, scope or 0, name, True)
                if type(target) is tuple and self.element(target).kind not in self.module_kinds:
                    append((_EDGE_KIND.get(kind, kind), path, source, self.files[target[0]].path, target[1],
                            name, None, None, ref.line, True))
                else:
                    append((_EDGE_KIND.get(kind, kind), path, source, None, None, name, None, None, ref.line, False))


def _import_edge(files: list[FileResult], path: str, ref: Reference, target, written: str) -> EdgeRow:
    if type(target) is tuple:
        return ("imports", path, ref.source, files[target[0]].path, target[1], written, None, None, ref.line, True)
    if type(target) is _Ext:
        return ("imports", path, ref.source, None, None, written, target.package, target.ecosystem, ref.line, True)
    return ("imports", path, ref.source, None, None, written, None, None, ref.line, False)


# --- Python -------------------------------------------------------------------------------------------

_CLASSMETHOD_NAMES = frozenset({"__new__", "__init_subclass__", "__class_getitem__"})


class _PyIndex(_Index):
    __slots__ = ("package", "qn", "all_names")

    def __init__(self, result: FileResult, family: "_Scoped") -> None:
        super().__init__(result, family)
        path = result.path
        slash = path.rfind("/")
        self.package = path[:slash].replace("/", ".") if slash >= 0 else ""
        elements = result.elements
        self.qn = elements[0].qualified_name if elements else ""
        top = self.names.get(0, {})
        if "__all__" in top:
            self.all_names: frozenset[str] | None = frozenset(
                e.name for e in elements if e.parent == 0 and e.is_exported and e.name != "__all__"
            )
        else:
            self.all_names = None


class _Python(_Scoped):
    """Python: see the module docstring."""

    index_type = _PyIndex
    class_body_scope = True

    def __init__(self, core: "Resolver", fids: list[int]) -> None:
        super().__init__(core, fids)
        files = self.files
        package_dirs: set[str] = set()
        for fid in fids:
            path = files[fid].path
            if path.rsplit("/", 1)[-1] in ("__init__.py", "__init__.pyi"):
                package_dirs.add(path[: max(path.rfind("/"), 0)])
        self.package_dirs = package_dirs
        by_qn: dict[str, int] = {}
        by_import: dict[str, int] = {}
        # .py before .pyi: the implementation wins over its stub.
        for fid in sorted(fids, key=lambda f: files[f].path.endswith(".pyi")):
            result = files[fid]
            if not result.elements:
                continue
            by_qn.setdefault(result.elements[0].qualified_name, fid)
            importable = self._importable(result.path)
            if importable:
                by_import.setdefault(importable, fid)
        self.by_qn = by_qn
        self.by_import = by_import
        self.tops = {name.split(".", 1)[0] for name in by_qn} | {name.split(".", 1)[0] for name in by_import}

    # names of files ------------------------------------------------------------------------------
    def _importable(self, path: str) -> str:
        """The dotted name of ``path`` from its source root: the nearest ancestor directory that is
        no package (``src/pkg/mod.py`` -> ``pkg.mod`` when only ``src/pkg`` has an ``__init__``)."""
        parts = path.rsplit(".", 1)[0].split("/")
        if parts[-1] == "__init__":
            parts.pop()
        start = len(parts) - 1
        while start > 0 and "/".join(parts[:start]) in self.package_dirs:
            start -= 1
        return ".".join(parts[start:]) if start >= 0 else ""

    def path_names(self, path: str) -> Iterable[str]:
        parts = path.rsplit(".", 1)[0].split("/")
        if parts[-1] == "__init__" and len(parts) > 1:
            parts.pop()
        names = {".".join(parts)}
        importable = self._importable(path)
        if importable and importable.split(".", 1)[0] not in _STDLIB:
            names.add(importable)
        return names

    def name_prefixes(self, name: str) -> Iterable[str]:
        parts = name.split(".")
        return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]

    def find_module(self, name: str) -> int | None:
        fid = self.by_qn.get(name)
        if fid is None and name.split(".", 1)[0] not in _STDLIB:
            # Never for a standard-library name, so a stray scripts/json.py does not take ``import json``.
            fid = self.by_import.get(name)
        return fid

    def absolute(self, fid: int, module: str | None, level: int) -> str | None:
        """The absolute module name an import refers to (None: above the root)."""
        if not level:
            return module or None
        package = self.index(fid).package
        parts = package.split(".") if package else []
        up = level - 1
        if up > len(parts):
            return None
        parts = parts[: len(parts) - up]
        if module:
            parts.append(module)
        return ".".join(parts)

    def module_target(self, fid: int, module: str | None, level: int):
        name = self.absolute(fid, module, level)
        if name is None:
            return _OPAQUE
        found = self.by_qn.get(name) if level else self.find_module(name)
        if found is not None:
            return (found, 0)
        if level:
            return _OPAQUE
        top = name.split(".", 1)[0]
        if top in _STDLIB and top not in self.by_qn:
            return _Ext(top, "stdlib")
        if top in self.tops:
            # ``import os.path``: a module attribute standing in for a submodule (os binds path).
            parts = name.split(".")
            for end in range(len(parts) - 1, 0, -1):
                found = self.find_module(".".join(parts[:end]))
                if found is not None:
                    target = self.walk((found, 0), parts, end)
                    return target if type(target) is tuple else _OPAQUE
            return _OPAQUE
        return _Ext(top, "pypi")

    # bindings --------------------------------------------------------------------------------------
    def local_name(self, ref: Reference) -> str | None:
        if ref.alias:
            return ref.alias
        if ref.imported_name is not None:
            return ref.imported_name
        return ref.module.split(".", 1)[0] if ref.module else None

    def bind(self, fid: int, ref: Reference):
        if ref.imported_name is None:
            module = ref.module or ""
            # ``import a.b.c`` binds a; ``import a.b as x`` binds x to a.b.
            return self.module_target(fid, module if ref.alias else module.split(".", 1)[0], 0)
        return self.from_import(fid, ref)

    def from_import(self, fid: int, ref: Reference):
        base = self.module_target(fid, ref.module, ref.level)
        name = ref.imported_name
        if type(base) is tuple:
            found = self.module_attr(base[0], 0, name)
            return _OPAQUE if found is None else found
        if base is _OPAQUE:
            # A namespace package (no __init__.py) still has its submodules.
            absolute = self.absolute(fid, ref.module, ref.level)
            if absolute is not None:
                sub = self.by_qn.get(f"{absolute}.{name}")
                if sub is None and not ref.level:
                    sub = self.find_module(f"{absolute}.{name}")
                if sub is not None:
                    return (sub, 0)
        return base

    def star_lookup(self, fid: int, ref: Reference, name: str):
        base = self.module_target(fid, ref.module, ref.level)
        if type(base) is not tuple:
            return _OPAQUE
        index = self.index(base[0])
        if index.all_names is not None:
            if name not in index.all_names:
                return None
        elif name.startswith("_"):
            return None
        return self.guarded(("*", base[0], name), self.module_attr, base[0], 0, name)

    def module_attr(self, fid: int, index: int, name: str):
        """A module's attribute: a top-level name (re-exports followed), a submodule, a star import."""
        target = self.scope_lookup(fid, 0, name, stars=False)
        if target is not None and target is not _OPAQUE:
            return target
        sub = self.by_qn.get(f"{self.index(fid).qn}.{name}")
        if sub is not None:
            return (sub, 0)
        star_refs = self.index(fid).stars.get(0)
        if star_refs:
            references = self.files[fid].references
            for ri in star_refs:
                found = self.star_lookup(fid, references[ri], name)
                if found is not None and found is not _OPAQUE:
                    return found
        return target

    def parameter(self, fid: int, function: int, name: str):
        """The first parameter of a method is the instance (the class in a classmethod)."""
        elements = self.files[fid].elements
        function = elements[function]
        parent = function.parent
        if (function.kind == "method" and function.parameters[0] == name and parent is not None
                and elements[parent].kind in TYPE_KINDS):
            decorators = function.decorators
            if "staticmethod" in decorators:
                return _OPAQUE
            if "classmethod" in decorators or function.name in _CLASSMETHOD_NAMES:
                return (fid, parent)
            return _Inst(fid, parent)
        return _OPAQUE

    def param_names(self, function) -> frozenset[str]:
        return frozenset([p.lstrip("*") for p in function.parameters])

    def super_attr(self, fid: int, scope: int, rest: list[str]):
        # ``super()`` belongs to the method it is written in: the class around that method.
        elements = self.files[fid].elements
        current: int | None = scope
        while current is not None and elements[current].kind != "method":
            current = elements[current].parent
        if current is None or not rest:
            return None
        cls = elements[current].parent
        if cls is None or elements[cls].kind not in TYPE_KINDS or not rest[0].isidentifier():
            return None
        return self.walk(self.member(fid, cls, rest[0], skip_self=True), rest, 1)

    # edges -----------------------------------------------------------------------------------------
    def import_edge(self, fid: int, path: str, ref: Reference) -> EdgeRow:
        imported = ref.imported_name
        if imported is None or imported == "*":
            target = self.module_target(fid, ref.module, ref.level)
        else:
            target = self.from_import(fid, ref)
            if type(target) is not tuple:
                base = self.module_target(fid, ref.module, ref.level)
                if type(base) is tuple or type(base) is _Ext:
                    target = base
        return _import_edge(self.files, path, ref, target, "." * ref.level + (ref.module or ""))

    # incremental -----------------------------------------------------------------------------------
    def import_keys(self, fid: int) -> Iterable[str]:
        keys: set[str] = set()
        # A name bound to a module reaches its submodules by attribute: ``import a`` then
        # ``a.x.f()`` consults a.x; the attribute paths used in this file say which.
        modules: dict[str, str] = {}
        for ref in self.files[fid].references:
            if ref.kind != "import":
                continue
            name = self.absolute(fid, ref.module, ref.level)
            if name is None:
                continue
            keys.update(self.name_prefixes(name))
            if ref.imported_name is None:
                modules[ref.alias or name.split(".", 1)[0]] = name if ref.alias else name.split(".", 1)[0]
            elif ref.imported_name != "*":
                keys.add(f"{name}.{ref.imported_name}")
                modules[ref.alias or ref.imported_name] = f"{name}.{ref.imported_name}"
        if modules:
            for ref in self.files[fid].references:
                head, dot, rest = ref.name.partition(".")
                if dot and ref.kind != "import" and head in modules:
                    path = modules[head]
                    for part in rest.split("."):
                        if not part.isidentifier():
                            break
                        path = f"{path}.{part}"
                        keys.add(path)
        return keys


# --- JavaScript / TypeScript ------------------------------------------------------------------------------

_JS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
_JS_DECLARATIONS = (".d.ts", ".d.mts", ".d.cts")


def _js_stem(path: str) -> str:
    """The path without its code extension (``a/b.d.ts`` and ``a/b.ts`` -> ``a/b``)."""
    lower = path.lower()
    for suffix in _JS_DECLARATIONS:
        if lower.endswith(suffix):
            return path[: -len(suffix)]
    for suffix in _JS_EXTENSIONS:
        if lower.endswith(suffix):
            return path[: -len(suffix)]
    return path


class _JsIndex(_Index):
    __slots__ = ("exported", "reexports", "has_default")

    def __init__(self, result: FileResult, family: "_Scoped") -> None:
        super().__init__(result, family)
        self.exported = frozenset(e.name for e in result.elements if e.parent == 0 and e.is_exported)
        self.reexports = [ri for ri, ref in enumerate(result.references) if ref.kind == "import" and ref.reexport]
        self.has_default = any(
            (result.references[ri].alias or result.references[ri].imported_name) == "default" for ri in self.reexports
        )


class _JavaScript(_Scoped):
    """JavaScript and TypeScript: see the module docstring."""

    index_type = _JsIndex
    constructor_name = "constructor"
    this_keyword = "this"
    super_keyword = True

    def __init__(self, core: "Resolver", fids: list[int]) -> None:
        super().__init__(core, fids)
        files = self.files
        rank = {suffix: i for i, suffix in enumerate(_JS_EXTENSIONS)}
        order = sorted(fids, key=lambda f: (files[f].path.lower().endswith(_JS_DECLARATIONS),
                                            rank.get(posixpath.splitext(files[f].path)[1].lower(), 99)))
        by_stem: dict[str, int] = {}
        by_path: dict[str, int] = {}
        for fid in order:
            path = files[fid].path
            by_path[path] = fid
            by_stem.setdefault(_js_stem(path), fid)
        self.by_stem = by_stem
        self.by_path = by_path

    def find_file(self, base: str) -> int | None:
        found = self.by_path.get(base)
        if found is None:
            stem = _js_stem(base)
            found = self.by_stem.get(stem)
            if found is None:
                found = self.by_stem.get(stem + "/index" if stem else "index")
        return found

    def module_target(self, fid: int, spec: str | None):
        if not spec:
            return _OPAQUE
        if spec[0] == ".":
            base = posixpath.normpath(posixpath.join(posixpath.dirname(self.files[fid].path), spec))
            if base.startswith(".."):
                return _OPAQUE
            found = self.find_file("" if base == "." else base)
            return (found, 0) if found is not None else _OPAQUE
        if spec[0] == "/":
            return _OPAQUE
        if spec.startswith("node:"):
            return _Ext(spec[5:].split("/", 1)[0], "node")
        parts = spec.split("/")
        if parts[0] in _NODE_BUILTINS:
            return _Ext(parts[0], "node")
        if len(parts) > 1 and spec[0] != "@":
            # A path from the root (a baseUrl import) when it names a file of the codebase.
            found = self.find_file(posixpath.normpath(spec))
            if found is not None:
                return (found, 0)
        package = "/".join(parts[:2]) if spec[0] == "@" else parts[0]
        return _Ext(package, "npm")

    def local_name(self, ref: Reference) -> str | None:
        if ref.alias:
            return ref.alias
        imported = ref.imported_name
        return imported if imported not in (None, "*", "default") else None

    def bind(self, fid: int, ref: Reference):
        base = self.module_target(fid, ref.module)
        if type(base) is not tuple:
            return base
        imported = ref.imported_name
        if imported is None or imported == "*":
            return base
        found = self.default_export(base[0], ref.alias) if imported == "default" else self.export(base[0], imported)
        return _OPAQUE if found is None else found

    def export(self, fid: int, name: str):
        """What module ``fid`` exports as ``name`` (None: nothing known)."""
        return self.guarded(("export", fid, name), self._export, fid, name)

    def _export(self, fid: int, name: str):
        index = self.index(fid)
        if name in index.exported:
            found = self.scope_lookup(fid, 0, name, stars=False)
            if found is not None and found is not _OPAQUE:
                return found
        references = self.files[fid].references
        for ri in index.reexports:
            ref = references[ri]
            if ref.imported_name == "*" and not ref.alias:
                continue
            if (ref.alias or ref.imported_name) != name:
                continue
            if ref.module is None:
                # ``export { local as name }`` in the module itself.
                return self.scope_lookup(fid, 0, ref.imported_name, stars=False) if ref.imported_name else None
            base = self.module_target(fid, ref.module)
            if type(base) is not tuple or ref.imported_name == "*":
                return base
            if ref.imported_name == "default":
                return self.default_export(base[0], None)
            return self.export(base[0], ref.imported_name)
        if name != "default":
            for ri in index.reexports:
                ref = references[ri]
                if ref.imported_name == "*" and not ref.alias:
                    base = self.module_target(fid, ref.module)
                    if type(base) is tuple:
                        found = self.export(base[0], name)
                        if found is not None and found is not _OPAQUE:
                            return found
        return None

    def default_export(self, fid: int, local: str | None):
        """The default export. When the extractor records none (``export default X`` leaves no
        trace in a FileResult), the module's own top-level definition named like the importing
        binding: ``import Foo from './Foo'`` of ``export default class Foo``, the usual convention."""
        found = self.export(fid, "default")
        if found is None and local and not self.index(fid).has_default:
            candidates = self.index(fid).names.get(0, {}).get(local)
            if candidates and candidates[0] >= 0:
                found = (fid, candidates[0])
        return found

    def module_attr(self, fid: int, index: int, name: str):
        if index == 0:
            return self.export(fid, name)
        return self.scope_lookup(fid, index, name, stars=False)

    def import_edge(self, fid: int, path: str, ref: Reference) -> EdgeRow | None:
        if ref.module is None and ref.reexport:
            return None  # ``export { a as b }`` / ``export default a`` of the module itself
        target = self.module_target(fid, ref.module)
        imported = ref.imported_name
        if type(target) is tuple and imported not in (None, "*"):
            found = (self.default_export(target[0], ref.alias) if imported == "default"
                     else self.export(target[0], imported))
            if type(found) is tuple:
                target = found
        return _import_edge(self.files, path, ref, target, ref.module or "")

    # incremental -----------------------------------------------------------------------------------
    def path_names(self, path: str) -> Iterable[str]:
        stem = _js_stem(path)
        names = {stem}
        if posixpath.basename(stem) == "index":
            names.add(posixpath.dirname(stem))
        return names

    def import_keys(self, fid: int) -> Iterable[str]:
        keys: set[str] = set()
        directory = posixpath.dirname(self.files[fid].path)
        for ref in self.files[fid].references:
            spec = ref.module if ref.kind == "import" else None
            if not spec:
                continue
            if spec[0] == ".":
                base = posixpath.normpath(posixpath.join(directory, spec))
                keys.add(_js_stem("" if base == "." else base))
            elif "/" in spec and spec[0] not in "@/":
                keys.add(_js_stem(posixpath.normpath(spec)))
        return keys


# --- Go ---------------------------------------------------------------------------------------------------

_GO_RECEIVER = re.compile(r"func\s*\(\s*([A-Za-z_]\w*)\s")
_GO_HOSTED = 3  # github.com/org/repo: the module of an external import path, at most three segments


class _Go(_Scoped):
    """Go: see the module docstring. A package is its directory; it is represented by the module
    element of its first file (sorted by path)."""

    constructor_name = None

    def __init__(self, core: "Resolver", fids: list[int]) -> None:
        super().__init__(core, fids)
        dirs: dict[str, list[int]] = {}
        for fid in sorted(fids, key=lambda f: self.files[f].path):
            dirs.setdefault(posixpath.dirname(self.files[fid].path), []).append(fid)
        self.dirs = dirs
        # (module path, its directory): from go.mod manifests, else inferred from the imports.
        declared = [(match.group(1), directory) for directory, text in _manifests(core.manifests, "go.mod")
                    for match in [_GO_MODULE.search(text)] if match]
        self.prefixes = sorted(declared + [(prefix, "") for prefix in self._module_prefixes()],
                               key=lambda item: len(item[0]), reverse=True)
        self._packages: dict[str, int | None] = {}
        self._tables: dict[str, dict[str, tuple[int, int]]] = {}
        self._methods: dict[str, dict[tuple[str, str], tuple[int, int]]] = {}

    def _module_prefixes(self) -> list[str]:
        """Module paths (``github.com/org/repo``) inferred from imports ending with a directory of
        the codebase: a prefix counts once it is seen before a multi-segment directory, or (when it
        looks like a host path) before two different directories."""
        seen: set[str] = set()
        for fid in self.fids:
            for ref in self.files[fid].references:
                if ref.kind == "import" and ref.module:
                    seen.add(ref.module)
        matched: dict[str, set[str]] = {}
        strong: set[str] = set()
        for path in seen:
            segments = path.split("/")
            for size in range(1, len(segments) + 1):
                directory = "/".join(segments[len(segments) - size:])
                if directory in self.dirs:
                    prefix = "/".join(segments[: len(segments) - size])
                    matched.setdefault(prefix, set()).add(directory)
                    if size >= 2:
                        strong.add(prefix)
        known = [
            prefix for prefix, directories in matched.items()
            if prefix in strong or (len(directories) >= 2 and "." in prefix.split("/", 1)[0])
        ]
        return sorted(known, key=len, reverse=True)

    def package_dir(self, path: str) -> str | None:
        """The directory of the codebase an import path names, or None."""
        found = self._packages.get(path, path)
        if found is not path:
            return found
        found = None
        for prefix, base in self.prefixes:
            if path == prefix:
                directory = base
            elif not prefix or path.startswith(prefix + "/"):
                rest = path[len(prefix) + 1:] if prefix else path
                directory = f"{base}/{rest}" if base else rest
            else:
                continue
            if directory in self.dirs:
                found = directory
                break
        self._packages[path] = found
        return found

    def package_target(self, path: str | None):
        if not path:
            return _OPAQUE
        directory = self.package_dir(path)
        if directory is not None:
            return (self.dirs[directory][0], 0)
        segments = path.split("/")
        if "." not in segments[0]:
            return _Ext(path, "stdlib")
        return _Ext("/".join(segments[:_GO_HOSTED]), "go")

    def package_table(self, directory: str) -> dict[str, tuple[int, int]]:
        """Package-level names of the directory's files (methods and imports excluded)."""
        table = self._tables.get(directory)
        if table is None:
            table = self._tables[directory] = {}
            for fid in self.dirs.get(directory, ()):
                for index, element in enumerate(self.files[fid].elements):
                    if element.parent == 0 and element.kind not in ("method", "import"):
                        table.setdefault(element.name, (fid, index))
        return table

    def method_table(self, directory: str) -> dict[tuple[str, str], tuple[int, int]]:
        """(receiver type name, method name) -> method, over the directory's files."""
        table = self._methods.get(directory)
        if table is None:
            table = self._methods[directory] = {}
            for fid in self.dirs.get(directory, ()):
                elements = self.files[fid].elements
                prefix = elements[0].qualified_name + "."
                for index, element in enumerate(elements):
                    if element.kind == "method" and element.qualified_name.startswith(prefix):
                        owner, _, name = element.qualified_name[len(prefix):].rpartition(".")
                        table.setdefault((owner, name), (fid, index))
        return table

    def directory(self, fid: int) -> str:
        return posixpath.dirname(self.files[fid].path)

    def local_name(self, ref: Reference) -> str | None:
        if ref.alias == "_":
            return None
        if ref.alias:
            return ref.alias
        return ref.module.rsplit("/", 1)[-1] if ref.module else None

    def bind(self, fid: int, ref: Reference):
        return self.package_target(ref.module)

    def star_lookup(self, fid: int, ref: Reference, name: str):
        target = self.package_target(ref.module)
        if type(target) is not tuple:
            return _OPAQUE
        return self.package_table(self.directory(target[0])).get(name)

    def top_lookup(self, fid: int, name: str):
        found = self.scope_lookup(fid, 0, name, stars=False)
        if found is None:
            found = self.package_table(self.directory(fid)).get(name)
        if found is None:
            found = self.scope_lookup(fid, 0, name)
        if found is None:
            # An internal package whose name differs from the last segment of its path.
            for ref in self.files[fid].references:
                if ref.kind == "import" and not ref.alias and ref.module:
                    directory = self.package_dir(ref.module)
                    if directory is not None and self.files[self.dirs[directory][0]].elements[0].name == name:
                        return (self.dirs[directory][0], 0)
        return found

    def module_attr(self, fid: int, index: int, name: str):
        return self.package_table(self.directory(fid)).get(name)

    def own_member(self, fid: int, cls: int, name: str):
        found = self.scope_lookup(fid, cls, name, stars=False)
        if found is None:
            found = self.method_table(self.directory(fid)).get((self.files[fid].elements[cls].name, name))
        return found

    def receiver_type(self, fid: int, method) -> tuple[int, int] | None:
        parent = method.parent
        elements = self.files[fid].elements
        if parent is not None and elements[parent].kind in TYPE_KINDS:
            return (fid, parent)
        prefix = elements[0].qualified_name + "."
        if method.qualified_name.startswith(prefix):
            owner = method.qualified_name[len(prefix):].rpartition(".")[0]
            found = self.package_table(self.directory(fid)).get(owner)
            if found is not None and self.element(found).kind in TYPE_KINDS:
                return found
        return None

    def param_names(self, function) -> frozenset[str]:
        names = super().param_names(function)
        if function.kind == "method":
            receiver = _GO_RECEIVER.match(function.signature or "")
            if receiver:
                names = names | {receiver.group(1)}
        return names

    def parameter(self, fid: int, function: int, name: str):
        function = self.files[fid].elements[function]
        if function.kind == "method":
            receiver = _GO_RECEIVER.match(function.signature or "")
            if receiver and receiver.group(1) == name:
                owner = self.receiver_type(fid, function)
                return _Inst(*owner) if owner is not None else _OPAQUE
        return _OPAQUE

    def type_name(self, text: str) -> str | None:
        return super().type_name(text.strip().lstrip("*&"))

    def import_edge(self, fid: int, path: str, ref: Reference) -> EdgeRow:
        return _import_edge(self.files, path, ref, self.package_target(ref.module), ref.module or "")

    # incremental -----------------------------------------------------------------------------------
    def path_names(self, path: str) -> Iterable[str]:
        return {"dir:" + posixpath.dirname(path)}

    def import_keys(self, fid: int) -> Iterable[str]:
        keys = {"dir:" + self.directory(fid)}
        for ref in self.files[fid].references:
            if ref.kind == "import" and ref.module:
                segments = ref.module.split("/")
                # Every suffix: a directory added later may answer the import.
                keys.update("dir:" + "/".join(segments[i:]) for i in range(len(segments)))
                keys.update("dir:" + base for prefix, base in self.prefixes if ref.module == prefix)
        return keys


# --- Java -------------------------------------------------------------------------------------------------

_JAVA_STDLIB = ("java", "javax", "jdk", "sun")
_JAVA_TYPE = re.compile(r"([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*(?:<.*>)?")


class _Java(_Scoped):
    """Java: see the module docstring. A star import of an internal package targets the module
    element of the package's first file (sorted by path)."""

    constructor_name = None
    this_keyword = "this"
    super_keyword = True
    types_are_scopes = True
    base_kinds = ("inherit", "implement")

    def __init__(self, core: "Resolver", fids: list[int]) -> None:
        super().__init__(core, fids)
        types: dict[str, tuple[int, int]] = {}
        packages: dict[str, dict[str, tuple[int, int]]] = {}
        package_files: dict[str, int] = {}
        for fid in sorted(fids, key=lambda f: self.files[f].path):
            elements = self.files[fid].elements
            if not elements:
                continue
            package = self.package_of(fid)
            package_files.setdefault(package, fid)
            table = packages.setdefault(package, {})
            for index, element in enumerate(elements):
                if element.kind in TYPE_KINDS:
                    types.setdefault(element.qualified_name, (fid, index))
                    if element.parent == 0:
                        table.setdefault(element.name, (fid, index))
        self.types = types
        self.packages = packages
        self.package_files = package_files

    def package_of(self, fid: int) -> str:
        qn = self.files[fid].elements[0].qualified_name
        return qn.rpartition(".")[0]

    def external(self, module: str) -> _Ext:
        segments = module.split(".")
        package = []
        for segment in segments:
            if segment[:1].isupper():
                break
            package.append(segment)
        if segments[0] in _JAVA_STDLIB or module.startswith("com.sun."):
            return _Ext(".".join(package[:2]) or module, "stdlib")
        return _Ext(".".join(package[:3]) or module, "maven")

    def internal_prefix(self, module: str) -> bool:
        """True when the package part of ``module`` (up to its first capitalised segment) is a
        package of the codebase."""
        package = []
        for segment in module.split("."):
            if segment[:1].isupper():
                break
            package.append(segment)
        return ".".join(package) in self.packages

    def type_target(self, dotted: str):
        found = self.types.get(dotted)
        if found is not None:
            return found
        return _OPAQUE if self.internal_prefix(dotted) else self.external(dotted)

    def local_name(self, ref: Reference) -> str | None:
        return ref.imported_name if ref.imported_name not in (None, "*") else None

    def bind(self, fid: int, ref: Reference):
        module = ref.module or ""
        name = ref.imported_name or ""
        found = self.types.get(f"{module}.{name}" if module else name)
        if found is not None:
            return found
        owner = self.types.get(module)
        if owner is not None:  # import static a.B.m
            member = self.member(owner[0], owner[1], name)
            return member if member is not None else _OPAQUE
        return self.type_target(f"{module}.{name}" if module else name)

    def star_lookup(self, fid: int, ref: Reference, name: str):
        module = ref.module or ""
        table = self.packages.get(module)
        if table is not None:
            return table.get(name)
        owner = self.types.get(module)
        if owner is not None:
            return self.member(owner[0], owner[1], name)
        return None if self.internal_prefix(module) else _OPAQUE

    def top_lookup(self, fid: int, name: str):
        found = self.scope_lookup(fid, 0, name, stars=False)
        if found is None:
            found = self.packages.get(self.package_of(fid), {}).get(name)
        if found is None:
            found = self.scope_lookup(fid, 0, name)
        return found

    def expression(self, fid: int, scope: int, name: str, direct: bool):
        found = super().expression(fid, scope, name, direct)
        if found is None and "." in name:
            # A fully qualified type (com.acme.util.Helper.run).
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                owner = self.types.get(".".join(parts[:end]))
                if owner is not None:
                    return self.walk(owner, parts, end)
        return found

    def type_scope(self, fid: int, cls: int, name: str, direct: bool):
        return self.member(fid, cls, name)

    def constructor(self, target: tuple[int, int]):
        element = self.element(target)
        found = self.scope_lookup(target[0], target[1], element.name, stars=False)
        if type(found) is tuple and self.element(found).kind in FUNCTION_KINDS:
            return found
        return target

    def type_name(self, text: str) -> str | None:
        match = _JAVA_TYPE.fullmatch(text.strip())
        return match.group(1) if match else None

    def import_edge(self, fid: int, path: str, ref: Reference) -> EdgeRow:
        module = ref.module or ""
        if ref.imported_name == "*":
            if module in self.packages:
                target = (self.package_files[module], 0)
            elif module in self.types:
                target = self.types[module]
            else:
                target = self.type_target(module)
        else:
            target = self.bind(fid, ref)
        return _import_edge(self.files, path, ref, target, module)

    # incremental -----------------------------------------------------------------------------------
    def path_names(self, path: str) -> Iterable[str]:
        parts = path.rsplit(".", 1)[0].split("/")
        directory = parts[:-1]
        names = {".".join(directory[i:]) for i in range(len(directory) + 1)}
        names.update(".".join(parts[i:]) for i in range(len(parts)))
        return names

    def import_keys(self, fid: int) -> Iterable[str]:
        keys = {self.package_of(fid)}
        for ref in self.files[fid].references:
            if ref.kind == "import" and ref.module:
                keys.add(ref.module)
                if ref.imported_name and ref.imported_name != "*":
                    keys.add(f"{ref.module}.{ref.imported_name}")
        return keys


# --- Rust -------------------------------------------------------------------------------------------------

_RUST_STDLIB = frozenset({"std", "core", "alloc", "proc_macro", "test"})
_RUST_TOKENS = re.compile(r"(::|\.)")
_RUST_TYPE = re.compile(r"(?:&\s*(?:'\w+\s+)?(?:mut\s+)?)?([A-Za-z_]\w*(?:::[A-Za-z_]\w*)*)")


class _Rust(_Scoped):
    """Rust: see the module docstring."""

    constructor_name = None
    base_kinds = ("inherit", "implement")
    reexport_binds = True

    def __init__(self, core: "Resolver", fids: list[int]) -> None:
        super().__init__(core, fids)
        by_qn: dict[str, int] = {}
        for fid in sorted(fids, key=lambda f: self.files[f].path):
            elements = self.files[fid].elements
            if elements:
                by_qn.setdefault(elements[0].qualified_name, fid)
        self.by_qn = by_qn
        self.crates = {qn.split("::", 1)[0] for qn in by_qn}
        # Crate names of Cargo.toml manifests -> their root file (``grep_searcher`` -> crates/searcher/src/lib.rs).
        self.crate_names: dict[str, int] = {}
        self.crate_dirs: dict[str, str] = {}
        for directory, text in _manifests(core.manifests, "Cargo.toml"):
            name, lib_path = _cargo_crate(text)
            if not name:
                continue
            prefix = f"{directory}/" if directory else ""
            for candidate in ([lib_path] if lib_path else []) + ["src/lib.rs", "src/main.rs"]:
                root = core._fid.get(posixpath.normpath(prefix + candidate))
                if root is not None and core._results[root].elements:
                    self.crate_names[name] = root
                    self.crate_dirs[directory] = name
                    break
        self._impls: dict[tuple[int, int], dict[str, tuple[int, int]]] | None = None
        self._roots: dict[str, int | None] = {}
        self._self_types: dict[tuple[int, int], object] = {}

    # modules ---------------------------------------------------------------------------------------
    def module_of(self, fid: int, scope: int) -> int:
        """The module element (0 or an inline ``mod``) around ``scope``."""
        elements = self.files[fid].elements
        current: int | None = scope
        while current:
            if elements[current].kind == "module":
                return current
            current = elements[current].parent
        return 0

    def parent_module(self, fid: int, module: int):
        if module:
            return (fid, self.module_of(fid, self.files[fid].elements[module].parent or 0))
        qn = self.files[fid].elements[0].qualified_name
        if "::" not in qn:
            return _OPAQUE
        found = self.by_qn.get(qn.rsplit("::", 1)[0])
        return (found, 0) if found is not None else _OPAQUE

    def crate_root(self, fid: int):
        """The crate root (``lib.rs``, else ``main.rs``) of the nearest directory above the file that
        has one; else the module named by the first segment of the file's module path."""
        directory = posixpath.dirname(self.files[fid].path)
        found = self._roots.get(directory, directory)
        if found is directory:
            found = None
            current = directory
            while True:
                for name in ("lib.rs", "main.rs"):
                    candidate = self.core._fid.get(f"{current}/{name}" if current else name)
                    if candidate is not None and self.core._family_of[candidate] is self:
                        found = candidate
                        break
                if found is not None or not current:
                    break
                current = posixpath.dirname(current)
            if found is None:
                found = self.by_qn.get(self.files[fid].elements[0].qualified_name.split("::", 1)[0])
            self._roots[directory] = found
        return (found, 0) if found is not None else _OPAQUE

    def path(self, fid: int, scope: int, segments: list[str], use: bool):
        """Resolve a ``::`` path written at ``scope`` (in a ``use`` declaration when ``use``)."""
        head = segments[0]
        start = 1
        if head == "crate":
            target = self.crate_root(fid)
        elif head == "self":
            target = (fid, self.module_of(fid, scope))
        elif head == "super":
            target = self.parent_module(fid, self.module_of(fid, scope))
            while start < len(segments) and segments[start] == "super" and type(target) is tuple:
                target = self.parent_module(target[0], target[1])
                start += 1
        elif head == "Self":
            target = self.self_type(fid, scope)
        else:
            target = self.lookup(fid, scope, head, False) if _is_name(head) else None
            if len(segments) > 1 and not self.is_namespace(target):
                # Modules and types live in their own namespace: ``mod parse`` beside ``fn parse``.
                module = self.module_of(fid, scope)
                target = self.namespace_attr((fid, module), head) or target
            if target is None:
                root = self.crate_root(fid)
                if type(root) is tuple and root != (fid, 0):
                    # 2015-edition paths are relative to the crate root.
                    target = self.module_attr(root[0], 0, head)
                if target is None:
                    if head in self.crate_names:
                        target = (self.crate_names[head], 0)
                    elif head in self.crates and head != "crate":
                        target = (self.by_qn[head], 0)
                    elif use:
                        # An external crate (a call through one stays unresolved anyway).
                        target = _Ext(head, "stdlib" if head in _RUST_STDLIB else "cargo")
        # Every segment but the last names a module or a type.
        for position in range(start, len(segments) - 1):
            if type(target) is not tuple:
                break
            found = self.namespace_attr(target, segments[position])
            target = found if found is not None else self.attr(target, segments[position])
            start = position + 1
        return self.walk(target, segments, start)

    def is_namespace(self, target) -> bool:
        """True for an internal module or type (what a path segment before ``::`` names)."""
        if type(target) is not tuple:
            return type(target) is _Ext
        kind = self.element(target).kind
        return kind in TYPE_KINDS or kind in self.module_kinds

    def lookup(self, fid: int, scope: int, name: str, direct: bool):
        found = super().lookup(fid, scope, name, direct)
        if type(found) is tuple and self.element(found).kind in self.module_kinds:
            # A value is wanted here (``parse(x)``): a function beside ``mod parse`` wins.
            module = (fid, self.module_of(fid, scope))
            candidates = self.index(fid).names.get(module[1], {}).get(name, ())
            for candidate in candidates:
                value = (fid, candidate) if candidate >= 0 else self.binding(fid, -candidate - 1)
                if type(value) is tuple and not self.is_namespace(value):
                    return value
        return found

    def namespace_attr(self, target, name: str):
        """The module or type ``name`` in module ``target``, skipping values of the same name."""
        if type(target) is not tuple or self.element(target).kind not in self.module_kinds:
            return None
        fid, index = target
        candidates = self.index(fid).names.get(index, {}).get(name, ())
        for candidate in candidates:
            found = (fid, candidate) if candidate >= 0 else self.binding(fid, -candidate - 1)
            if self.is_namespace(found):
                return found
        if index == 0:
            sub = self.by_qn.get(f"{self.files[fid].elements[0].qualified_name}::{name}")
            if sub is not None:
                return (sub, 0)
        return None

    def module_attr(self, fid: int, index: int, name: str):
        found = self.scope_lookup(fid, index, name, stars=False)
        if found is not None and found is not _OPAQUE:
            return found
        if index == 0:
            sub = self.by_qn.get(f"{self.files[fid].elements[0].qualified_name}::{name}")
            if sub is not None:
                return (sub, 0)
        star_refs = self.index(fid).stars.get(index)
        if star_refs:
            references = self.files[fid].references
            for ri in star_refs:
                target = self.star_lookup(fid, references[ri], name)
                if target is not None and target is not _OPAQUE:
                    return target
        return found

    def inner_module_lookup(self, fid: int, module: int, name: str):
        # A Rust module sees its own items only: outer names need ``super::``.
        return self.module_attr(fid, module, name)

    def top_lookup(self, fid: int, name: str):
        return self.module_attr(fid, 0, name)

    # bindings --------------------------------------------------------------------------------------
    def local_name(self, ref: Reference) -> str | None:
        if ref.alias:
            return ref.alias
        if ref.imported_name:
            return ref.imported_name
        return ref.module.rsplit("::", 1)[-1] if ref.module else None

    def bind(self, fid: int, ref: Reference):
        module = ref.module or ""
        scope = self.module_of(fid, ref.source)
        if ref.imported_name is None:
            if "::" not in module:
                # ``mod x;`` (a file module) or ``extern crate x``.
                if scope == 0:
                    sub = self.by_qn.get(f"{self.files[fid].elements[0].qualified_name}::{module}")
                else:
                    sub = self.by_qn.get(f"{self.files[fid].elements[scope].qualified_name}::{module}")
                if sub is not None:
                    return (sub, 0)
                if module in self.crate_names:
                    return (self.crate_names[module], 0)
                if module in self.crates and module != "crate":
                    return (self.by_qn[module], 0)
                if any(e.kind == "import" and e.start_line == ref.line and e.name == (ref.alias or module)
                       for e in self.files[fid].elements):
                    return _Ext(module, "stdlib" if module in _RUST_STDLIB else "cargo")
                return _OPAQUE
            return self.path(fid, scope, module.split("::"), True)
        segments = (module.split("::") if module else []) + [ref.imported_name]
        return self.path(fid, scope, segments, True)

    def star_lookup(self, fid: int, ref: Reference, name: str):
        if not ref.module:
            return _OPAQUE
        # Resolving the glob's own path may look through the module's globs again: a cycle.
        return self.guarded(("*", fid, id(ref), name), self._star_lookup, fid, ref, name)

    def _star_lookup(self, fid: int, ref: Reference, name: str):
        base = self.path(fid, self.module_of(fid, ref.source), ref.module.split("::"), True)
        if type(base) is not tuple:
            return _OPAQUE
        return self.attr(base, name)

    # types -----------------------------------------------------------------------------------------
    def impls(self) -> dict[tuple[int, int], dict[str, tuple[int, int]]]:
        """Methods of ``impl`` blocks written away from their type (another file or module)."""
        if self._impls is None:
            self._impls = {}
            for fid in self.fids:
                elements = self.files[fid].elements
                for index, element in enumerate(elements):
                    if element.kind != "method" or element.parent is None:
                        continue
                    if elements[element.parent].kind in TYPE_KINDS:
                        continue
                    owner = self.self_type(fid, index)
                    if type(owner) is tuple:
                        self._impls.setdefault(owner, {}).setdefault(element.name, (fid, index))
        return self._impls

    def own_member(self, fid: int, cls: int, name: str):
        found = self.scope_lookup(fid, cls, name, stars=False)
        if found is None:
            found = self.impls().get((fid, cls), {}).get(name)
        return found

    def self_type(self, fid: int, scope: int):
        """``Self`` at ``scope``: the type of the enclosing ``impl`` (or trait)."""
        elements = self.files[fid].elements
        current: int | None = scope
        while current and elements[current].kind != "method" and elements[current].kind not in TYPE_KINDS:
            current = elements[current].parent
        if not current:
            return None
        if elements[current].kind in TYPE_KINDS:
            return (fid, current)
        key = (fid, current)
        found = self._self_types.get(key, key)
        if found is not key:
            return found
        method = elements[current]
        parent = method.parent or 0
        found = None
        if elements[parent].kind in TYPE_KINDS:
            found = (fid, parent)
        else:
            prefix = elements[parent].qualified_name + "::"
            if method.qualified_name.startswith(prefix):
                owner = method.qualified_name[len(prefix):].rpartition("::")[0]
                if owner and "::" not in owner:
                    cuts = self._cuts
                    target = self.guarded(("self", key), self.lookup, fid, parent, owner, False)
                    if type(target) is tuple and self.element(target).kind in TYPE_KINDS:
                        found = target
                    if cuts != self._cuts:
                        return found
        self._self_types[key] = found
        return found

    def param_names(self, function) -> frozenset[str]:
        # Patterns as written: ``&self``, ``&'a mut self``, ``self: Box<Self>``, ``(a, b)``, ``mut x``.
        names: set[str] = set()
        for parameter in function.parameters:
            names.update(_IDENTIFIER.findall(parameter.split(":", 1)[0]))
        names.difference_update(("mut", "ref", "_"))
        return frozenset(names)

    def parameter(self, fid: int, function: int, name: str):
        if name == "self":
            owner = self.self_type(fid, function)
            return _Inst(*owner) if type(owner) is tuple else _OPAQUE
        return _OPAQUE

    def type_name(self, text: str) -> str | None:
        match = _RUST_TYPE.fullmatch(text.strip())
        return match.group(1).replace("::", ".") if match else None

    # expressions -----------------------------------------------------------------------------------
    def expression(self, fid: int, scope: int, name: str, direct: bool):
        if "::" not in name and "." not in name:
            if name.endswith("()") or not _is_name(name):
                return None
            return self.lookup(fid, scope, name, direct)
        pieces = _RUST_TOKENS.split(name)
        parts = pieces[0::2]
        separators = pieces[1::2]
        if not all(part and (_is_name(part) or (part.endswith("()") and _is_name(part[:-2]))) for part in parts):
            return None
        if separators[0] == ".":
            # A value: ``self.m``, ``x.m`` (a local: unknown), ``f().m``.
            head = parts[0]
            if head.endswith("()"):
                return self.walk(self.called(self.lookup(fid, scope, head[:-2], direct)), parts, 1)
            return self.walk(self.lookup(fid, scope, head, direct), parts, 1)
        # A path (``a::b::c``) up to the first call or field access, then values.
        end = 1
        while end < len(parts) and separators[end - 1] == "::" and not parts[end - 1].endswith("()"):
            end += 1
        path = [part[:-2] if part.endswith("()") else part for part in parts[:end]]
        target = self.path(fid, scope, path, False)
        if parts[end - 1].endswith("()"):
            target = self.called(target)
        return self.walk(target, parts, end)

    def import_edge(self, fid: int, path: str, ref: Reference) -> EdgeRow:
        target = self.bind(fid, ref)
        if type(target) is not tuple and ref.imported_name and ref.module:
            base = self.path(fid, self.module_of(fid, ref.source), ref.module.split("::"), True)
            if type(base) is tuple or type(base) is _Ext:
                target = base
        return _import_edge(self.files, path, ref, target, ref.module or ref.name)

    # incremental -----------------------------------------------------------------------------------
    def crate_of(self, path: str) -> str:
        parts = path.split("/")
        if "src" in parts:
            index = parts.index("src")
            return parts[index - 1] if index > 0 else "crate"
        return parts[0] if len(parts) > 1 else path.rsplit(".", 1)[0]

    def path_names(self, path: str) -> Iterable[str]:
        names = {"crate:" + self.crate_of(path)}
        for directory, name in self.crate_dirs.items():
            if not directory or path.startswith(directory + "/"):
                names.add("crate:" + name)
        return names

    def import_keys(self, fid: int) -> Iterable[str]:
        keys = {"crate:" + self.crate_of(self.files[fid].path)}
        for ref in self.files[fid].references:
            if ref.kind == "import" and (ref.module or ref.imported_name):
                head = (ref.module or ref.imported_name or "").split("::", 1)[0]
                keys.add("crate:" + head)
        return keys


# --- the resolver -------------------------------------------------------------------------------------

_FAMILIES: dict[str, type[_Family]] = {
    "python": _Python, "javascript": _JavaScript, "go": _Go, "java": _Java, "rust": _Rust,
}


class Resolver:
    """Cross-file resolution over all files of a codebase (path -> FileResult).

    ``errors`` lists ``(path, message)`` for files whose resolution failed unexpectedly: their
    references are then kept, unresolved, instead of failing the run.
    """

    def __init__(self, files: Mapping[str, FileResult], manifests: Mapping[str, str] | None = None) -> None:
        """``manifests`` optionally maps build manifests (``go.mod``, ``Cargo.toml``; paths relative
        to the root, like the files) to their text: they name the Go module and the Rust crates,
        which the source files alone do not."""
        self.manifests: dict[str, str] = dict(manifests or {})
        self._paths: list[str] = list(files)
        self._results: list[FileResult] = [files[path] for path in self._paths]
        self._fid: dict[str, int] = {path: fid for fid, path in enumerate(self._paths)}
        self.errors: list[tuple[str, str]] = []
        groups: dict[str, list[int]] = {}
        for fid, result in enumerate(self._results):
            if not result.elements:
                continue  # skipped or failed: nothing to resolve in it, nothing to find there
            family = _family_name(result.language, result.path)
            if family is not None:
                groups.setdefault(family, []).append(fid)
        self._generic = _Family(self, [])
        self._families: dict[str, _Family] = {}
        self._family_of: list[_Family | None] = [None] * len(self._results)
        for family, fids in groups.items():
            cls = _FAMILIES.get(family)
            handler = cls(self, fids) if cls is not None else self._generic
            self._families[family] = handler
            for fid in fids:
                self._family_of[fid] = handler
        self._reverse: dict[str, set[int]] | None = None

    def resolve(self, sources: Iterable[str] | None = None) -> list[Edge]:
        """The edges whose site is in one of ``sources`` (every file when None)."""
        with collector_paused():
            return list(starmap(Edge, self._resolve(sources)))

    def resolve_rows(self, sources: Iterable[str] | None = None) -> list[EdgeRow]:
        """``resolve()`` as EdgeRows (the same edges in the same order), for callers that only read the
        fields, such as the store's COPY formatting: no Edge object is made at all."""
        with collector_paused():
            return self._resolve(sources)

    def _resolve(self, sources: Iterable[str] | None) -> list[EdgeRow]:
        if sources is None:
            fids: Iterable[int] = range(len(self._results))
        else:
            fids = sorted({self._fid[p] for p in sources if p in self._fid})
        out: list[EdgeRow] = []
        for fid in fids:
            result = self._results[fid]
            if not result.elements:
                continue
            path = result.path
            out.extend([("contains", path, element.parent, path, index, element.qualified_name, None, None,
                         element.start_line, True)
                        for index, element in enumerate(result.elements) if element.parent is not None])
            family = self._family_of[fid] or self._generic
            mark = len(out)
            try:
                family.resolve_file(fid, out)
            except Exception as exc:  # noqa: BLE001 - one file's bug must not fail the run
                del out[mark:]
                self._generic.resolve_file(fid, out)
                self.errors.append((path, f"{type(exc).__name__}: {exc}"))
        return out

    def dependents(self, paths: Iterable[str]) -> set[str]:
        """``paths`` plus every file whose edges may depend on them: the reverse import closure
        (re-export chains included). Paths no longer in the codebase (deleted) are understood too."""
        importers = self._reverse_index()
        result: set[str] = set(paths)
        pending = list(result)
        while pending:
            path = pending.pop()
            family = self._family_for_path(path)
            if family is None:
                continue
            found: set[int] = set()
            for name in family.path_names(path):
                found.update(importers.get(name, ()))
            for fid in found:
                other = self._paths[fid]
                if other not in result:
                    result.add(other)
                    pending.append(other)
        return result

    # internals -----------------------------------------------------------------------------------------
    def _family_for_path(self, path: str) -> _Family | None:
        fid = self._fid.get(path)
        if fid is not None and self._family_of[fid] is not None:
            return self._family_of[fid]
        family = _family_name(None, path)
        if family is None:
            return None
        handler = self._families.get(family)
        if handler is None:
            cls = _FAMILIES.get(family)
            if cls is None:
                return None
            handler = self._families[family] = cls(self, [])
        return handler

    def _reverse_index(self) -> dict[str, set[int]]:
        """Import key -> the files whose resolution may consult a file named by it."""
        if self._reverse is None:
            importers: dict[str, set[int]] = {}
            for fid, family in enumerate(self._family_of):
                if family is None or not self._results[fid].elements:
                    continue
                for key in family.import_keys(fid):
                    importers.setdefault(key, set()).add(fid)
            self._reverse = importers
        return self._reverse


def _family_name(language: str | None, path: str) -> str | None:
    if language is not None:
        return "javascript" if language in ("javascript", "typescript", "tsx", "jsx") else language
    lower = path.lower()
    if lower.endswith((".py", ".pyi")):
        return "python"
    if lower.endswith(_JS_EXTENSIONS):
        return "javascript"
    if lower.endswith(".go"):
        return "go"
    if lower.endswith(".java"):
        return "java"
    if lower.endswith(".rs"):
        return "rust"
    return None


def resolve_all(files: Mapping[str, FileResult], manifests: Mapping[str, str] | None = None) -> list[Edge]:
    """Every edge of the codebase ``files``."""
    return Resolver(files, manifests).resolve()


_GO_MODULE = re.compile(r"^\s*module\s+\"?([^\s\"]+)", re.MULTILINE)
_TOML_SECTION = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*$")
_TOML_STRING = re.compile(r"""^\s*(name|path)\s*=\s*["']([^"']+)["']""")


def _manifests(manifests: Mapping[str, str], filename: str) -> list[tuple[str, str]]:
    """(directory, text) of the manifests called ``filename``."""
    found = []
    for path, text in manifests.items():
        directory, _, name = path.rpartition("/")
        if name == filename:
            found.append((directory, text))
    return sorted(found)


def _cargo_crate(text: str) -> tuple[str | None, str | None]:
    """The library crate's name (``[lib] name``, else ``[package] name`` with ``-`` as ``_``) and
    its ``[lib] path``, from a Cargo.toml."""
    section = None
    values: dict[tuple[str | None, str], str] = {}
    for line in text.splitlines():
        header = _TOML_SECTION.match(line)
        if header:
            section = header.group(1)
            continue
        pair = _TOML_STRING.match(line)
        if pair and section in ("package", "lib"):
            values.setdefault((section, pair.group(1)), pair.group(2))
    name = values.get(("lib", "name")) or values.get(("package", "name"))
    return (name.replace("-", "_") if name else None), values.get(("lib", "path"))


def interface_key(result: FileResult) -> tuple:
    """What other files' edges can depend on in ``result``.

    When a changed file keeps its key (only bodies, lines or comments changed), the edges of the
    other files stay the same: only the file itself needs re-resolving, not ``dependents()``.
    """
    elements = tuple((e.kind, e.name, e.qualified_name, e.parent, e.is_exported) for e in result.elements)
    references = tuple(
        (r.kind, r.source, r.name, r.module, r.imported_name, r.alias, r.level, r.reexport)
        for r in result.references
        if r.kind in ("import", "inherit", "implement")
    )
    return (result.language, elements, references)
