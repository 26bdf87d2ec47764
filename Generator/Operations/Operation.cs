using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Emit;
using NetGen.Generator.Emit.Interchange;
using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>
/// One operation of the language, as one unit: how it is read from its attribute (a static
/// <c>Read</c> beside <see cref="ReadFromAttribute"/>), its range checks, its shape rule, its
/// parameter tensors, how it fuses, its ILGPU and CPU code, and how it splits over columns. The
/// phases ask the operation; none of them switches on its kind. What an operation must say is
/// abstract, so an operation that leaves something out does not compile.
/// </summary>
/// <param name="Location">The attribute's, for diagnostics; the model strips it so that moving code regenerates nothing.</param>
internal abstract record Operation(LocationInfo? Location)
{
    /// <summary>Lower-case kind, as the network's description lists it: conv, dense, relu, ...</summary>
    public abstract string Kind { get; }

    /// <summary>The attribute as a user writes it: Conv, Dense, ...</summary>
    public abstract string AttributeName { get; }

    /// <summary>What the operation does, with its settings, for tables and generated comments.</summary>
    public abstract string Describe();

    /// <summary>Checks the operation's own settings, whatever comes before it; reports through <paramref name="check"/>.</summary>
    public abstract void Check(RangeCheck check, string who);

    /// <summary>The output shape for <see cref="ShapeRule.Input"/>, or null after reporting why there is none.</summary>
    public abstract Shape? Infer(ShapeRule rule);

    /// <summary>Whether the operation needs height and width (so cannot follow a dense layer).</summary>
    public virtual bool IsSpatial => false;

    /// <summary>Whether only the network's last operation may be this one (softmax, which the loss replaces).</summary>
    public virtual bool EndsNetwork => false;

    /// <summary>Whether its values need neighbouring channels of the same column (normalisation), so its layer must split even last.</summary>
    public virtual bool StaysInColumn => false;

    /// <summary>Whether it flattens its input, so no spatial operation may follow.</summary>
    public virtual bool Flattens => false;

    /// <summary>
    /// The earlier layer it reads by name, or null: a learnable operation's <c>Input = nameof(Stem)</c>
    /// (in place of the previous layer's output), a join's second operand (<c>Add(nameof(Stem))</c>).
    /// </summary>
    public virtual string? NamedInput => null;

    /// <summary>Whether it subtracts each channel's mean, so a bias right before it is cancelled (NG0030).</summary>
    public virtual bool CancelsBias => false;

    /// <summary>
    /// The prefix its tensors take within their layer (<c>bn</c> for <c>conv1.bn.weight</c>), or null
    /// when they have none: two operations of one prefix in a layer would share names (NG0031).
    /// </summary>
    public virtual string? TensorPrefix => null;

    /// <summary>Its parameter tensors for this input and output, in the order they sit in the parameter buffer.</summary>
    public virtual IReadOnlyList<TensorSpec> Tensors(Shape input, Shape output) => [];

    /// <summary>Multiply-adds per image, for the tables and the GFLOP/s figures.</summary>
    public virtual long MultiplyAdds(Shape input, Shape output) => 0;

    /// <summary>
    /// Writes the operation as ONNX nodes in evaluation mode, reading <see cref="ValueFlow.Current"/>
    /// and leaving its result there (an operation that is the identity when evaluating writes nothing).
    /// </summary>
    public abstract void WriteOnnx(OnnxWriting o);

    /// <summary>Writes the operation into the PyTorch twin: its modules, named as NetGen names its tensors, and its lines of <c>forward</c>.</summary>
    public abstract void WritePyTorch(PyTorchWriting p);
}

/// <summary>
/// Marks an operation with the attribute it is read from; <see cref="OperationCatalog"/> finds the
/// operation by it and calls its static <c>Read(OperationReading)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
internal sealed class ReadFromAttribute(Type attribute) : Attribute
{
    public Type Attribute { get; } = attribute;

    /// <summary>
    /// The attribute written with what it needs, as a diagnostic suggests it when a required
    /// constructor argument is left out (NG0024): "MaxPool(2)". Every attribute with a constructor
    /// parameter that has no default gives one (tested).
    /// </summary>
    public string? Example { get; set; }
}

/// <summary>
/// One parameter tensor of an operation, as PyTorch names and lays it out.
/// </summary>
/// <param name="Name">Its name within the layer: weight, bias (the table calls it conv1.weight).</param>
/// <param name="Dimensions">PyTorch's layout: (out, in / groups, kh, kw), (out, in), (out).</param>
/// <param name="InitMean">Every value starts from a Gaussian draw of this mean...</param>
/// <param name="InitStd">...and standard deviation (0: the constant <paramref name="InitMean"/>).</param>
/// <param name="LrMult">The optimiser's learning-rate multiplier.</param>
/// <param name="DecayMult">The optimiser's weight-decay multiplier.</param>
/// <param name="Trainable">Whether the optimiser updates it; a tensor that is not trained (running statistics) is still saved and loaded.</param>
/// <param name="InitBound">When not 0, every value starts from a uniform draw in [InitMean - InitBound, InitMean + InitBound) instead (InitStd is 0).</param>
/// <param name="DType">Its type in a safetensors file, as PyTorch keeps it: F32, or I64 for a count (num_batches_tracked), which the parameter buffer holds as a float.</param>
internal sealed record TensorSpec(string Name, EquatableArray<int> Dimensions, float InitMean, float InitStd, float LrMult, float DecayMult, bool Trainable, float InitBound = 0f, string DType = "F32")
{
    public long Count
    {
        get
        {
            long count = 1;
            foreach (int d in Dimensions)
                count *= d;
            return count;
        }
    }

    /// <summary>PascalCase, for generated names: Weight, BnRunningMean (from bn.running_mean).</summary>
    public string Identifier => string.Concat(Name.Split('.', '_').Select(part => char.ToUpperInvariant(part[0]) + part.Substring(1)));

    /// <summary>camelCase, for a kernel's parameter: weight, bnRunningMean.</summary>
    public string Local => char.ToLowerInvariant(Identifier[0]) + Identifier.Substring(1);
}
