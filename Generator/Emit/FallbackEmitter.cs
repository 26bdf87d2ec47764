using System.Linq;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit;

/// <summary>
/// For a network with NG errors: implements its layer properties so the user's build shows the NG
/// errors alone, not one "partial property has no implementation" error per layer besides them
/// (for a type that is not partial, the NG0001 error and the compiler's CS0260).
/// </summary>
internal static class FallbackEmitter
{
    public static string Emit(AnalysisResult result)
    {
        var w = new SourceWriter();
        using (TypeScope.Open(w, result.Type, null))
        {
            foreach (var entry in result.LayerMembers)
            {
                var parts = entry.Split('|');
                w.Line($"{NetworkEmitter.Prefix(parts[1])}global::NetGen.Layer {parts[0]} =>");
                using (w.Indent())
                    w.Line($"throw new global::System.InvalidOperationException(\"{result.Type.Name} has NetGen errors (NG diagnostics); fix them to generate its layers.\");");
            }
        }
        return w.ToString();
    }

    /// <summary>
    /// Whether the type can take the fallback members: not one that cannot be a network (NG0015). One
    /// that is not partial (NG0001) takes them in a partial declaration, which costs the compiler's
    /// one CS0260 in place of a CS0751 and a CS9248 for every layer.
    /// </summary>
    public static bool CanEmit(AnalysisResult result) => result.LayerMembers.Count > 0 && !result.Diagnostics.Any(d => d.Id is "NG0015");
}
