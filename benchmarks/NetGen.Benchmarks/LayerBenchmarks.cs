using System;
using System.Linq;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using ILGPU;
using ILGPU.Runtime;
using NetGen.Cpu;
using NetGen.Networks;

namespace NetGen.Benchmarks;

/// <summary>
/// Every fused group of AlexNet, forward and backward, on the CPU backend at batch 16, with the
/// sizes the generator wrote into AlexNet's CPU code (read from it, not restated here).
/// </summary>
public class LayerBenchmarks
{
    private const int Batch = 16;
    private Device device = null!;
    private object geometry = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> input = null!, output = null!, weight = null!, bias = null!;
    private MemoryBuffer1D<float, Stride1D.Dense> inputGradient = null!, outputGradient = null!, weightGradient = null!, biasGradient = null!;
    private (int Inputs, int Outputs) dense;

    [Params("Conv1", "Conv1Lrn", "Conv1MaxPool", "Conv2", "Conv2Lrn", "Conv2MaxPool", "Conv3", "Conv4", "Conv5", "Conv5MaxPool", "Fc6", "Fc7", "Fc8")]
    public string Group { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        device = Device.Open("cpu");
        var sizes = typeof(AlexNet).GetNestedType("CpuGeometry", BindingFlags.NonPublic)!;
        var field = sizes.GetField(Group, BindingFlags.Public | BindingFlags.Static);
        // The layer the group belongs to: Conv1Lrn and Conv1MaxPool are conv1's.
        var layer = AlexNet.Description.Layers.Single(l => Group.StartsWith(l.Member, StringComparison.Ordinal));
        long inputs, outputs, weights = 0, biases = 0;
        if (field is null)
        {
            dense = (layer.Input.Size, layer.Output.Size);
            (inputs, outputs, weights, biases) = (dense.Inputs, dense.Outputs, (long)dense.Inputs * dense.Outputs, dense.Outputs);
            geometry = dense;
        }
        else
        {
            geometry = field.GetValue(null)!;
            (inputs, outputs) = geometry switch
            {
                ConvGeometry c => ((long)c.Channels * c.Pixels, (long)c.Filters * c.OutPixels),
                LrnGeometry l => ((long)l.Channels * l.Pixels, (long)l.Channels * l.Pixels),
                PoolGeometry p => ((long)layer.Output.Channels * p.Height * p.Width, (long)layer.Output.Channels * p.OutHeight * p.OutWidth),
                _ => throw new InvalidOperationException(Group),
            };
            if (geometry is ConvGeometry conv)
                (weights, biases) = ((long)conv.Filters * conv.Taps, conv.Filters);
        }
        input = Upload(Batch * inputs, 1);
        output = Upload(Batch * outputs, 2);
        outputGradient = Upload(Batch * outputs, 3);
        inputGradient = Upload(Batch * inputs, 4);
        weight = Upload(Math.Max(weights, 1), 5);
        bias = Upload(Math.Max(biases, 1), 6);
        weightGradient = Upload(Math.Max(weights, 1), 7);
        biasGradient = Upload(Math.Max(biases, 1), 8);
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(long count, ulong stream)
    {
        var buffer = device.Accelerator.Allocate1D<float>(count);
        buffer.View.CopyFromCPU(Inputs.Uniform(count, stream));
        return buffer;
    }

    [Benchmark(Description = "forward, batch 16")]
    public void Forward()
    {
        switch (geometry)
        {
            case ConvGeometry c: CpuConv.Forward(c, input.View, weight.View, bias.View, output.View, Batch, relu: true); break;
            case LrnGeometry l: CpuLrn.Forward(l, input.View, output.View, Batch); break;
            case PoolGeometry p: CpuPool.Forward(p, input.View, output.View, (int)(input.Length / (p.Height * p.Width))); break;
            default: CpuDense.Forward(dense.Inputs, dense.Outputs, input.View, weight.View, bias.View, output.View, Batch, relu: true); break;
        }
    }

    [Benchmark(Description = "backward, batch 16")]
    public void Backward()
    {
        switch (geometry)
        {
            case ConvGeometry c:
                CpuConv.Backward(c, input.View, weight.View, outputGradient.View, weightGradient.View, biasGradient.View, Group == "Conv1" ? default : inputGradient.View, Batch);
                break;
            case LrnGeometry l: CpuLrn.Backward(l, input.View, outputGradient.View, inputGradient.View, Batch); break;
            case PoolGeometry p: CpuPool.Backward(p, input.View, outputGradient.View, inputGradient.View, (int)(input.Length / (p.Height * p.Width))); break;
            default:
                CpuDense.Backward(dense.Inputs, dense.Outputs, input.View, weight.View, outputGradient.View, weightGradient.View, biasGradient.View, inputGradient.View, Batch);
                break;
        }
    }

    [GlobalCleanup]
    public void Cleanup() => device.Dispose();
}
