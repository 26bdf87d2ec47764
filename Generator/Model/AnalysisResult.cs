using NetGen.Generator.Diagnostics;

namespace NetGen.Generator.Model;

/// <summary>
/// The outcome of checking one network: the model when it is sound, and the diagnostics. The
/// layer members are kept either way so a broken network still gets its properties implemented
/// (throwing), and the user sees only the NG errors, not a cascade of missing implementations.
/// </summary>
/// <param name="LayerMembers">"Member|modifiers" of every layer property the user declared (partial ones).</param>
internal sealed record AnalysisResult(TypeSpec Type, NetworkModel? Model, EquatableArray<string> LayerMembers, EquatableArray<DiagnosticInfo> Diagnostics);
