using System.Collections.Generic;
using System.Linq;
using System.Text;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Interchange;

/// <summary>
/// What an operation is given to write itself into the network's PyTorch twin
/// (<see cref="Operations.Operation.WritePyTorch"/>): modules for <c>__init__</c>, named so that
/// <c>state_dict()</c> has NetGen's tensor names (<c>conv1.weight</c>, <c>conv1.bn.running_mean</c>),
/// and lines for <c>forward</c>, which read and assign the current value <c>h</c>.
/// </summary>
internal sealed class PyTorchWriting(NetworkModel model) : ValueFlow(model)
{
    private static readonly HashSet<string> Keywords =
    [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else",
        "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
        "return", "try", "while", "with", "yield", "h", "x", "self", "torch", "nn", "F",
    ];

    private readonly List<string> init = [];
    private readonly List<string> forward = [];
    private readonly HashSet<string> modules = [];
    private readonly SortedSet<string> helpers = [];

    /// <summary>The current layer's module, as <c>forward</c> reaches it: <c>self.conv1</c>.</summary>
    public string LayerModule => Keywords.Contains(Layer.Name) ? $"getattr(self, \"{Layer.Name}\")" : $"self.{Layer.Name}";

    /// <summary>Makes <paramref name="construction"/> (<c>nn.Conv2d(...)</c>) the current layer's module.</summary>
    public void SetLayerModule(string construction)
    {
        modules.Add(Layer.Name);
        init.Add(Keywords.Contains(Layer.Name) ? $"self.add_module(\"{Layer.Name}\", {construction})" : $"self.{Layer.Name} = {construction}");
    }

    /// <summary>Adds <paramref name="construction"/> as the submodule <paramref name="prefix"/> of the current layer's module (a plain module when the layer has none yet); returns how <c>forward</c> reaches it.</summary>
    public string AddSubmodule(string prefix, string construction)
    {
        if (modules.Add(Layer.Name))
            init.Add(Keywords.Contains(Layer.Name) ? $"self.add_module(\"{Layer.Name}\", nn.Module())" : $"self.{Layer.Name} = nn.Module()");
        init.Add($"{LayerModule}.{prefix} = {construction}");
        return $"{LayerModule}.{prefix}";
    }

    /// <summary>Writes <c>h = <paramref name="expression"/></c> in <c>forward</c>, with <paramref name="comment"/>.</summary>
    public void Assign(string expression, string comment)
    {
        forward.Add($"h = {expression}  # {Layer.Name}: {comment}");
        Current = "h";
    }

    /// <summary>Flattens <c>h</c> to (N, C x H x W), as a dense layer reads it.</summary>
    public void Flatten()
    {
        Assign("torch.flatten(h, 1)", "flatten in NCHW order");
        Flat = true;
    }

    /// <summary>Asks for the module-level helper <paramref name="source"/> (a <c>def</c>), written once above the class.</summary>
    public void Helper(string source) => helpers.Add(source);

    /// <summary>The variable holding an earlier layer's output in <c>forward</c>.</summary>
    public static string Variable(string layerName) => Keywords.Contains(layerName) ? layerName + "_" : layerName;

    /// <summary>Starts a layer: <c>h</c> holds the previous layer's output; a layer that reads another (or the first) copies its input into it.</summary>
    public void BeginLayer(LayerModel layer)
    {
        bool first = Layer is null;
        BeginLayer(layer, "x");
        if (first || layer.InputLayer is not null)
            forward.Add($"h = {Current}");
        Current = "h";
    }

    /// <summary>Ends a layer: <c>h</c> is kept under the layer's name when a later layer reads it by name.</summary>
    public void EndLayer(bool readLater)
    {
        if (readLater)
        {
            forward.Add($"{Variable(Layer.Name)} = h");
            Current = Variable(Layer.Name);
        }
        EndLayer();
    }

    /// <summary>The module's Python source.</summary>
    public string Source(string description)
    {
        var s = new StringBuilder();
        s.Append("\"\"\"").Append(Model.Type.Name).Append(", NetGen's declaration as a PyTorch module (generated; do not edit).\n\n")
            .Append(description).Append("\n\n")
            .Append("state_dict() has NetGen's tensor names, so model.load_state_dict(...) takes the tensors of a NetGen\n")
            .Append("checkpoint (NetGen stores num_batches_tracked as a float or an int64; cast it with .long()).\n")
            .Append("forward returns the logits: the softmax is the loss's (F.cross_entropy), as in NetGen's trainer.\n")
            .Append("\"\"\"\n\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n");
        foreach (var helper in helpers)
            s.Append("\n\n").Append(helper.TrimEnd()).Append('\n');
        s.Append("\n\nclass ").Append(Model.Type.Name).Append("(nn.Module):\n");
        s.Append("    input_shape = (").Append(Model.Input.Channels).Append(", ").Append(Model.Input.Height).Append(", ").Append(Model.Input.Width).Append(")\n\n");
        s.Append("    def __init__(self):\n        super().__init__()\n");
        foreach (var line in init)
            s.Append("        ").Append(line).Append('\n');
        s.Append("\n    def forward(self, x):\n");
        foreach (var line in forward)
            s.Append("        ").Append(line).Append('\n');
        s.Append("        return ").Append(Current).Append('\n');
        return s.ToString();
    }

    /// <summary>A Python float literal.</summary>
    public static string Float(float value) => Format.Float(value) is var text && (text.Contains('.') || text.Contains('E') || text.Contains('N') || text.Contains('I')) ? text : text + ".0";

    /// <summary>A Python bool literal.</summary>
    public static string Bool(bool value) => value ? "True" : "False";

    /// <summary>Layers whose output a later layer reads by name.</summary>
    public static HashSet<string> NamedOutputs(NetworkModel model) =>
    [
        .. model.Layers.Where(l => l.InputLayer is not null).Select(l => l.InputLayer!),
        .. model.Layers.SelectMany(l => l.Ops).Select(o => o.Op.NamedInput).Where(n => n is not null).Select(n => n!),
    ];
}
