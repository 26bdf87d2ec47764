using System.Collections.Generic;
using System.Linq;

namespace NetGen.Interchange;

/// <summary>What a step needs to write its attribute: the network's rounding, and the members that name the layers it reads.</summary>
/// <param name="NetworkRound">The rounding the <c>[Network]</c> attribute sets for every window that does not set its own.</param>
/// <param name="Members">The member (layer property) whose output each value is.</param>
/// <param name="Inputs">The member each learnable step reads where it is not the previous layer.</param>
internal sealed record DeclarationContext(Rounding NetworkRound, IReadOnlyDictionary<string, string> Members, IReadOnlyDictionary<ImportStep, string> Inputs)
{
    /// <summary><c>, Round = Rounding.Ceil</c> where the network's rounding does not give the window's output size; else nothing.</summary>
    public string Round(WindowFit fit) => fit.Roundings.Contains(NetworkRound) ? "" : $", Round = Rounding.{fit.Roundings.First()}";

    /// <summary>The member whose output <paramref name="value"/> is.</summary>
    public string Member(string value) => Members[value];

    /// <summary><c>, Input = nameof(Stem)</c> where <paramref name="step"/> reads a layer other than the previous one; else nothing.</summary>
    public string InputOf(ImportStep step) => Inputs.TryGetValue(step, out var member) ? $", Input = nameof({member})" : "";
}
