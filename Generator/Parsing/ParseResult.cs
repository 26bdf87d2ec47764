using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;

namespace NetGen.Generator.Parsing;

/// <summary>
/// What Parsing found on one [Network] type: the spec (null when the type itself cannot be a
/// network) and the problems found while reading it.
/// </summary>
internal sealed record ParseResult(TypeSpec Type, NetworkSpec? Spec, EquatableArray<string> LayerMembers, EquatableArray<DiagnosticInfo> Diagnostics);
