using System;
using System.Linq;

namespace NetGen;

/// <summary>
/// What Krizhevsky's later scheme ("One weird trick for parallelizing convolutional neural
/// networks", 2014) would move for the same network and devices: data parallelism in the
/// convolutional layers (each device runs every convolution on its share of the batch and the
/// devices exchange their convolution weight gradients once per step), model parallelism in the
/// dense layers (as the partition plan splits them). Worked out from the plan; not executed.
/// </summary>
/// <param name="BatchSize">The batch the per-step exchange is spread over.</param>
/// <param name="ConvolutionParameters">Parameters of the layers before the first dense one, held whole by every device.</param>
/// <param name="ParametersPerDevice">Every convolution parameter and the device's share of the dense ones.</param>
/// <param name="ActivationBytesPerImage">Forward bytes one device sends per image of the batch: the last convolution's output for the other devices' dense layers, then the dense layers' gathers.</param>
/// <param name="GradientBytesPerImage">Backward bytes one device sends per image: the dense layers' input gradients.</param>
/// <param name="WeightGradientBytesPerStep">Bytes one device sends per step to share the convolution weight gradients (each device sends its whole gradient to every other, as a two-device exchange does).</param>
public sealed record DataParallelEstimate(
    int BatchSize,
    long ConvolutionParameters,
    long ParametersPerDevice,
    long ActivationBytesPerImage,
    long GradientBytesPerImage,
    long WeightGradientBytesPerStep)
{
    /// <summary>Everything one device sends per image of the batch, the weight-gradient exchange spread over the batch.</summary>
    public double BytesSentPerImage => ActivationBytesPerImage + GradientBytesPerImage + (double)WeightGradientBytesPerStep / BatchSize;

    /// <summary>The estimate for <paramref name="network"/> split as <paramref name="plan"/> says, at batches of <paramref name="batchSize"/>.</summary>
    public static DataParallelEstimate For(NetworkInfo network, PartitionInfo plan, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var convolutional = network.Layers.TakeWhile(l => l.Operations[0].Kind == "conv").Select(l => l.Name).ToHashSet();
        long convolutionParameters = network.Layers.Where(l => convolutional.Contains(l.Name)).Sum(l => l.ParameterCount);
        long denseParametersPerDevice = plan.Layers.Where(l => !convolutional.Contains(l.Name)).Sum(l => l.ParametersPerDevice);
        // The dense layers' transfers are the plan's: the first dense layer needs every image's whole
        // features, and a device holds the whole features of its 1/devices of the batch, which is
        // the same number of bytes as the model-parallel gather of 1/devices of every image's features.
        long Sent(string pass) => plan.Transfers.Where(t => t.From == 0 && t.Pass == pass && !convolutional.Contains(t.Layer)).Sum(t => t.BytesPerImage);
        return new DataParallelEstimate(batchSize, convolutionParameters, convolutionParameters + denseParametersPerDevice,
            Sent("forward"), Sent("backward"), convolutionParameters * sizeof(float) * (plan.Devices - 1));
    }
}
