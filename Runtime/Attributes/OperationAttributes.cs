using System;

#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>
/// An operation of a layer. A <see cref="Layer"/> property carries one learnable operation
/// (<see cref="ConvAttribute"/> or <see cref="DenseAttribute"/>) followed by the parameter-free
/// operations applied to its output, in the order they are written.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public abstract class OperationAttribute : Attribute
{
}

/// <summary>A learnable operation: its initial weights, and the multipliers the optimiser applies to it.</summary>
public abstract class LearnableAttribute : OperationAttribute
{
    /// <summary>Standard deviation of the zero-mean Gaussian the weights start from (the paper: 0.01); only with <see cref="Init.Gaussian"/>.</summary>
    public float WeightStd { get; set; } = 0.01f;

    /// <summary>
    /// Initial value of every bias (the paper: 1 in conv2, conv4, conv5, fc6, fc7; 0 elsewhere).
    /// With <see cref="Init.PyTorchDefault"/> and left out, the biases are drawn as PyTorch draws them.
    /// </summary>
    public float BiasInit { get; set; }

    /// <summary>Multiplier of the learning rate for the weights (Caffe's <c>lr_mult</c>).</summary>
    public float LrMult { get; set; } = 1f;

    /// <summary>Multiplier of the learning rate for the biases (Caffe's bvlc_alexnet uses 2).</summary>
    public float BiasLrMult { get; set; } = 1f;

    /// <summary>Multiplier of the weight decay for the weights (Caffe's <c>decay_mult</c>).</summary>
    public float DecayMult { get; set; } = 1f;

    /// <summary>Multiplier of the weight decay for the biases (Caffe's bvlc_alexnet uses 0).</summary>
    public float BiasDecayMult { get; set; } = 1f;

    /// <summary>
    /// How the weights start; the network's <c>Init</c> unless set here. Every preset but
    /// <see cref="Init.Gaussian"/> ignores <see cref="WeightStd"/> (setting both is NG0025).
    /// </summary>
    public Init Init { get; set; }

    /// <summary>Whether the layer has a bias; <c>false</c> is PyTorch's <c>bias=False</c>: no bias tensor at all.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// The earlier layer whose output this layer reads, written <c>nameof(Layer)</c>; the previous
    /// layer's unless set. A residual network's shortcut reads the block's input this way.
    /// </summary>
    public string? Input { get; set; }
}

/// <summary>A 2-D convolution with bias (unless <c>Bias = false</c>): weights (filters, channels / groups, kernel, kernel).</summary>
/// <param name="filters">Number of output channels.</param>
public sealed class ConvAttribute(int filters) : LearnableAttribute
{
    /// <summary>Number of output channels.</summary>
    public int Filters { get; } = filters;

    /// <summary>Side of the square kernel. Required.</summary>
    public int Kernel { get; set; }

    /// <summary>Step between neighbouring windows.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zeros added on every side of the input.</summary>
    public int Pad { get; set; }

    /// <summary>
    /// Channel groups: each filter reads only the input channels of its own group
    /// (AlexNet's conv2, conv4 and conv5 use 2: each column reads only its own maps).
    /// </summary>
    public int Groups { get; set; } = 1;

    /// <summary>How the output size is rounded.</summary>
    public Rounding Round { get; set; }
}

/// <summary>A fully connected layer with bias (unless <c>Bias = false</c>): weights (units, inputs). Flattens its input first.</summary>
/// <param name="units">Number of outputs.</param>
public sealed class DenseAttribute(int units) : LearnableAttribute
{
    /// <summary>Number of outputs.</summary>
    public int Units { get; } = units;
}

/// <summary>Rectified linear unit: <c>max(0, x)</c>.</summary>
public sealed class ReluAttribute : OperationAttribute
{
}

/// <summary>
/// Local response normalisation across channels:
/// <c>b = a / (k + alpha * sum over the size nearest channels of a^2)^beta</c>.
/// </summary>
/// <param name="size">Number of channels summed over (odd: the channel itself and size/2 either side).</param>
public sealed class LrnAttribute(int size) : OperationAttribute
{
    /// <summary>Number of channels in the window.</summary>
    public int Size { get; } = size;

    /// <summary>Scale of the sum of squares (the paper: 1e-4).</summary>
    public float Alpha { get; set; } = 1e-4f;

    /// <summary>Exponent (the paper: 0.75).</summary>
    public float Beta { get; set; } = 0.75f;

    /// <summary>Additive constant (the paper: 2; Caffe: 1).</summary>
    public float K { get; set; } = 2f;

    /// <summary>Whether <see cref="Alpha"/> is used as written (the paper) or divided by the size (Caffe, PyTorch).</summary>
    public LrnAlpha AlphaConvention { get; set; }
}

/// <summary>Common settings of the pooling operations.</summary>
/// <param name="window">Side of the square window.</param>
public abstract class PoolAttribute(int window) : OperationAttribute
{
    /// <summary>Side of the square window.</summary>
    public int Window { get; } = window;

    /// <summary>Step between neighbouring windows; the window size unless set (AlexNet overlaps: 3, stride 2).</summary>
    public int Stride { get; set; } = window;

    /// <summary>Padding on every side; padded cells never win a max and count as zeros in an average.</summary>
    public int Pad { get; set; }

    /// <summary>How the output size is rounded.</summary>
    public Rounding Round { get; set; }
}

/// <summary>Max pooling. Ties go to the first element in row-major order.</summary>
/// <param name="window">Side of the square window.</param>
public sealed class MaxPoolAttribute(int window) : PoolAttribute(window)
{
}

/// <summary>
/// Average pooling. The divisor counts padding but not the part of a window that a ceil-rounded
/// output runs past the padded input (PyTorch's <c>count_include_pad</c>).
/// </summary>
/// <param name="window">Side of the square window.</param>
public sealed class AvgPoolAttribute(int window) : PoolAttribute(window)
{
}

/// <summary>
/// Global average pooling: the mean of each channel over its whole height and width, so the output
/// is (channels, 1, 1) and a dense layer after it reads one value per channel (PyTorch's
/// <c>nn.AdaptiveAvgPool2d(1)</c>).
/// </summary>
public sealed class GlobalAvgPoolAttribute : OperationAttribute
{
}

/// <summary>
/// Batch normalisation (PyTorch's <c>nn.BatchNorm2d</c> after a convolution, <c>nn.BatchNorm1d</c>
/// after a dense layer): each channel (or unit) normalised by the batch's mean and variance in
/// training and by running estimates of them in evaluation, then scaled and shifted by a learned
/// weight (starting at 1) and bias (starting at 0). Its tensors are named <c>layer.bn.weight</c>,
/// <c>layer.bn.bias</c>, <c>layer.bn.running_mean</c>, <c>layer.bn.running_var</c> and
/// <c>layer.bn.num_batches_tracked</c>, as a PyTorch module with a <c>bn</c> submodule names them.
/// </summary>
public sealed class BatchNormAttribute : OperationAttribute
{
    /// <summary>Added to the variance before its square root.</summary>
    public float Eps { get; set; } = 1e-5f;

    /// <summary>How far each training batch moves the running estimates: <c>running = (1 - m) running + m batch</c>.</summary>
    public float Momentum { get; set; } = 0.1f;
}

/// <summary>
/// A residual connection: adds the output of the earlier layer <paramref name="layer"/> (written
/// <c>nameof(Layer)</c>) to the value at this point, which must have the same shape. It comes right
/// after the layer's Conv, Dense or BatchNorm, before the activation.
/// </summary>
/// <param name="layer">The earlier layer whose output is added, as <c>nameof(Layer)</c>.</param>
public sealed class AddAttribute(string layer) : OperationAttribute
{
    /// <summary>The earlier layer whose output is added.</summary>
    public string Layer { get; } = layer;
}

/// <summary>
/// Dropout: in training, each output is zeroed with probability <paramref name="rate"/> and the
/// survivors are scaled by <c>1 / (1 - rate)</c>; in evaluation it does nothing.
/// </summary>
/// <param name="rate">Probability of zeroing an output, in [0, 1).</param>
public sealed class DropoutAttribute(float rate) : OperationAttribute
{
    /// <summary>Probability of zeroing an output.</summary>
    public float Rate { get; } = rate;
}

/// <summary>Softmax over the outputs of the last layer; must be the network's last operation.</summary>
public sealed class SoftmaxAttribute : OperationAttribute
{
}
