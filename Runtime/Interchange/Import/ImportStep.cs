using System.Collections.Generic;

namespace NetGen.Interchange;

/// <summary>
/// One operation of the network being imported, read from one ONNX node or from a pattern of them
/// (the Gelu chain, a split LRN, MatMul and Add): what it reads and writes, its output's shape, the
/// attribute it becomes in the declaration, and its tensors under NetGen's names.
/// </summary>
internal abstract class ImportStep(OnnxNode node, string input, ValueShape shape)
{
    /// <summary>The node a message names: the operation's own, or a pattern's last.</summary>
    public OnnxNode Node { get; } = node;

    /// <summary>The value it reads (an Add's operand that continues its layer, once grouping has chosen).</summary>
    public string Input { get; protected set; } = input;

    /// <summary>The value it writes.</summary>
    public string Output => Node.Output;

    /// <summary>Its output's shape.</summary>
    public ValueShape Shape { get; } = shape;

    /// <summary>Every value it reads.</summary>
    public virtual IReadOnlyList<string> Reads => [Input];

    /// <summary>Whether it starts a layer: a convolution or a dense layer.</summary>
    public virtual bool StartsLayer => false;

    /// <summary>Whether it is one of NetGen's main operations (it starts a kernel), after which an Add may come.</summary>
    public virtual bool IsMain => false;

    /// <summary>The attribute it becomes, or null for a step NetGen does implicitly (flattening).</summary>
    public abstract string? Attribute(DeclarationContext context);

    /// <summary>Its tensors in the layer named <paramref name="layer"/> (lower case), as PyTorch names them.</summary>
    public virtual IEnumerable<SafeTensor> Tensors(string layer) => [];
}

/// <summary>An activation or any other operation without settings that need working out: Relu, Sigmoid, Tanh, Gelu, LeakyRelu(0.2f), Elu, GlobalAvgPool.</summary>
internal sealed class PlainStep(OnnxNode node, string input, ValueShape shape, string attribute, bool main = false) : ImportStep(node, input, shape)
{
    public override bool IsMain => main;

    public override string Attribute(DeclarationContext context) => attribute;
}

/// <summary>Dropout at a known rate: nothing in evaluation, as the ONNX graph runs it; kept so training the imported network drops as the original did.</summary>
internal sealed class DropoutStep(OnnxNode node, string input, ValueShape shape, float rate) : ImportStep(node, input, shape)
{
    public override string Attribute(DeclarationContext context) => $"Dropout({ImportText.Float(rate)})";
}

/// <summary>The softmax over each image's outputs; the network's last operation.</summary>
internal sealed class SoftmaxStep(OnnxNode node, string input, ValueShape shape) : ImportStep(node, input, shape)
{
    public override bool IsMain => true;

    public override string Attribute(DeclarationContext context) => "Softmax";
}

/// <summary>ONNX's Flatten, Reshape to (N, -1) or Squeeze of a 1 x 1 plane: NetGen's dense layer reads its input in this order anyway.</summary>
internal sealed class FlattenStep(OnnxNode node, string input, ValueShape shape) : ImportStep(node, input, shape)
{
    public override string? Attribute(DeclarationContext context) => null;
}

/// <summary>
/// A residual Add of two values: the one that continues its layer (<see cref="ImportStep.Input"/>,
/// once <see cref="Join"/> has chosen) and an earlier layer's output, which it names.
/// </summary>
internal sealed class AddStep(OnnxNode node, string first, string second, ValueShape shape) : ImportStep(node, first, shape)
{
    /// <summary>The operands as the node lists them.</summary>
    public IReadOnlyList<string> Operands { get; } = [first, second];

    /// <summary>The operand that is an earlier layer's output (past a Flatten that the layer's readers make implicit).</summary>
    public string Other { get; set; } = second;

    public override IReadOnlyList<string> Reads => Operands;

    /// <summary>Makes <paramref name="operand"/> the value the layer continues from; the other becomes the named one.</summary>
    public void Join(string operand)
    {
        Input = operand;
        Other = Operands[0] == operand ? Operands[1] : Operands[0];
    }

    public override string Attribute(DeclarationContext context) => $"Add(nameof({context.Member(Other)}))";
}
