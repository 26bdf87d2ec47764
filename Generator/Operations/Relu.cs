using NetGen.Generator.Attributes;
using NetGen.Generator.Emit;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>
/// Rectified linear unit, max(0, x). A gate: the stored output is positive exactly where it let
/// the value through (a later dropout's zeros have a zero factor of their own), so its mask reads
/// the output; on the CPU backend a convolution's or dense layer's store applies it.
/// </summary>
[ReadFrom(typeof(ReluAttribute))]
internal sealed record Relu(LocationInfo? Location) : ActivationFunction(Location)
{
    public static Operation Read(OperationReading r) => new Relu(r.Location);

    public override string Kind => "relu";
    public override string AttributeName => "Relu";
    public override string Describe() => "relu";
    protected override string Comment => "ReLU";
    public override bool IsGate => true;
    public override bool IsIdempotent => true;
    public override bool IsRectifier => true;

    public override void Check(RangeCheck check, string who)
    {
        // no settings
    }

    public override string Value(string x, Formula m) => m.IfPositive(x, x, m.Constant(0f));

    public override string Derivative(string x, string y, Formula m) => m.IfPositive(x, m.Constant(1f), m.Constant(0f));

    public override void WriteGate(SourceWriter w, OpModel op, string output, string element, string name) =>
        w.Line($"if ({output}[{element}] <= 0f) gradient = 0f; // {name}'s ReLU let nothing through here");

    public override void WriteCpuGate(CpuGate g, OpModel op, bool fused)
    {
        if (!fused)
            g.W.Line($"CpuEpilogue.Relu({g.Values}, {g.Count});");
    }

    public override void WriteCpuGateMask(CpuGate g, OpModel op) =>
        g.W.Line($"CpuEpilogue.MaskRelu({g.Values}, {g.Output}, {g.Count});");

    /// <inheritdoc/>
    public override void WriteOnnx(OnnxWriting o) => o.Node("Relu", Kind, [o.Current]);

    /// <inheritdoc/>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign("F.relu(h)", Describe());
}
