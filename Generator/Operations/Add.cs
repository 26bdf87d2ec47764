using NetGen.Generator.Attributes;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// The residual connection: adds an earlier layer's output to the value at its point, as
/// <c>out += identity</c> in PyTorch's ResNet blocks. Written <c>Add(nameof(Stem))</c>, so a
/// renamed layer is a compile error.
/// </summary>
[ReadFrom(typeof(AddAttribute), Example = "Add(nameof(Stem))")]
internal sealed record Add(string Layer, LocationInfo? Location) : JoinOperation(Layer, Location)
{
    public static Operation Read(OperationReading r) => new Add(r.Args.String(0, "layer", null) ?? "", r.Location);

    public override string Kind => "add";
    public override string AttributeName => "Add";
    public override string Operand => "addend";
    public override bool IsSum => true;

    public override string Describe() => $"add {Layer.ToLowerInvariant()}";

    public override void Check(RangeCheck check, string who)
    {
        // The layer it names is checked with the network's other layers (NetworkAnalyzer).
    }

    public override long MultiplyAdds(Shape input, Shape output) => 0;

    public override void WriteKernel(SourceWriter w) => w.Line($"value += addend[index]; // the residual connection");

    public override void WriteCpu(SourceWriter w, string values, string operand, string count) =>
        w.Line($"CpuGradients.Add({values}, {operand}, {count});");

    /// <summary>ONNX's Add of the named layer's output.</summary>
    public override void WriteOnnx(OnnxWriting o) => o.Node("Add", Kind, [o.Current, o.LayerOutput(Layer).Value]);

    /// <summary>The named layer's output added to <c>h</c>.</summary>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign($"h + {p.LayerOutput(Layer).Value}", Describe());
}
