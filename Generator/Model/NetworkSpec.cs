using System.Linq;
using NetGen.Generator.Operations;

namespace NetGen.Generator.Model;

/// <summary>
/// The type a network is declared on, as strings: enough to write the generated partial
/// declaration around it.
/// </summary>
/// <param name="Namespace">Empty for the global namespace.</param>
/// <param name="Name">The class name.</param>
/// <param name="ContainingTypes">Declarations of the enclosing types, outermost first ("partial class Outer").</param>
internal sealed record TypeSpec(string Namespace, string Name, EquatableArray<string> ContainingTypes)
{
    /// <summary>A file name unique in the compilation: Namespace.Outer.Name.</summary>
    public string HintName => string.Join(".", new[] { Namespace }.Concat(ContainingTypeNames()).Concat(new[] { Name }).Where(s => s.Length > 0));

    private System.Collections.Generic.IEnumerable<string> ContainingTypeNames() =>
        ContainingTypes.Select(d => d.Substring(d.LastIndexOf(' ') + 1));
}

/// <summary>A layer member as written: its property name and its operations in order.</summary>
/// <param name="Member">The property name (Conv1).</param>
/// <param name="Modifiers">What the implementation writes before the type: the declared accessibility and
/// <c>partial</c> ("public partial"), or "public" for a layer taken from another network, which the user did not declare.</param>
/// <param name="Ops">The operations that could be read, in order.</param>
/// <param name="Incomplete">
/// Whether an operation attribute of the layer could not be read (NG0014, NG0023, NG0024): its
/// operations are the ones that could, so the layer's form and shape are not checked.
/// </param>
internal sealed record LayerSpec(string Member, string Modifiers, EquatableArray<Operation> Ops, LocationInfo? Location, bool Incomplete = false)
{
    /// <summary>The earlier layer its learnable operation reads by name (<c>Input = nameof(Stem)</c>), or null for the previous layer.</summary>
    public string? InputLayer => Ops.Count > 0 && Ops[0] is LearnableOperation { NamedInput: { } named } ? named : null;
}

/// <summary>How the generated code adds a network to the runtime's catalog.</summary>
/// <param name="Visible">Whether code outside the class can create it (it is not abstract, and it and every type it is nested in are public or internal): only such a network registers itself.</param>
/// <param name="HasDefaults">Whether it (or the network whose layers it takes) declares [TrainingDefaults].</param>
/// <param name="Defaults">The declared defaults as C# assignments ("Epochs = 20"), in the order written.</param>
internal sealed record RegistrationSpec(bool Visible, bool HasDefaults, EquatableArray<string> Defaults);

/// <summary>
/// A network as written, before any checking: what Parsing hands to the Model. Holds strings,
/// numbers and locations only, never symbols or syntax.
/// </summary>
/// <param name="Classes">The declared class count: the last layer's outputs, 0 when not declared.</param>
/// <param name="Round">The network-wide rounding as written (its operations already carry it), kept to check it once.</param>
/// <param name="LayersFrom">The network whose layers this one took (<c>Layers = typeof(AlexNet)</c>), or null.</param>
internal sealed record NetworkSpec(
    TypeSpec Type,
    int Channels,
    int Height,
    int Width,
    int Columns,
    int Classes,
    int Round,
    EquatableArray<LayerSpec> Layers,
    string? LayersFrom,
    RegistrationSpec Registration,
    LocationInfo? Location);
