using NetGen.Generator.Attributes;
using NetGen.Generator.Model;
using NetGen.Generator.Emit.Interchange;

namespace NetGen.Generator.Operations;

/// <summary>The logistic sigmoid, y = 1 / (1 + exp(-x)); derivative y (1 - y).</summary>
[ReadFrom(typeof(SigmoidAttribute))]
internal sealed record Sigmoid(LocationInfo? Location) : ActivationFunction(Location)
{
    public static Operation Read(OperationReading r) => new Sigmoid(r.Location);

    public override string Kind => "sigmoid";
    public override string AttributeName => "Sigmoid";
    public override string Describe() => "sigmoid";

    public override void Check(RangeCheck check, string who)
    {
        // no settings
    }

    public override string Value(string x, Formula m) => $"{m.Constant(1f)} / ({m.Constant(1f)} + {m.Exp("-" + x)})";

    public override string Derivative(string x, string y, Formula m) => $"{y} * ({m.Constant(1f)} - {y})";

    /// <inheritdoc/>
    public override void WriteOnnx(OnnxWriting o) => o.Node("Sigmoid", Kind, [o.Current]);

    /// <inheritdoc/>
    public override void WritePyTorch(PyTorchWriting p) => p.Assign("torch.sigmoid(h)", Describe());
}
