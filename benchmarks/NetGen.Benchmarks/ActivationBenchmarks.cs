using BenchmarkDotNet.Attributes;

namespace NetGen.Benchmarks;

/// <summary>A small Fashion-MNIST network with ReLU throughout: every epilogue a gate, fused into the product's store.</summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial class ReluNet28
{
    [Conv(32, Kernel = 5, Pad = 2), Relu, MaxPool(2)] public partial Layer Conv1 { get; }
    [Conv(64, Kernel = 5, Pad = 2), Relu, MaxPool(2)] public partial Layer Conv2 { get; }
    [Dense(128), Relu, Dropout(0.3f)] public partial Layer Fc1 { get; }
    [Dense(10)] public partial Layer Fc2 { get; }
}

/// <summary>The same with GELU, leaky ReLU and ELU: every epilogue kept and run again backward.</summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial class SmoothNet28
{
    [Conv(32, Kernel = 5, Pad = 2), Gelu, MaxPool(2)] public partial Layer Conv1 { get; }
    [Conv(64, Kernel = 5, Pad = 2), LeakyRelu(0.1f), MaxPool(2)] public partial Layer Conv2 { get; }
    [Dense(128), Elu, Dropout(0.3f)] public partial Layer Fc1 { get; }
    [Dense(10)] public partial Layer Fc2 { get; }
}

/// <summary>
/// What the activations that are not gates cost on the CPU backend: a training step at batch 64 of
/// <see cref="SmoothNet28"/> against <see cref="ReluNet28"/>, the same network with ReLU.
/// <c>benchmarks/reference/torch_activations.py</c> times both in PyTorch.
/// </summary>
public class ActivationBenchmarks
{
    private const int Batch = 64;
    private Device device = null!;
    private Network network = null!;
    private Trainer trainer = null!;
    private float[] images = null!;
    private int[] labels = null!;

    [Params("relu", "gelu, leaky relu, elu")]
    public string Activations { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        device = Device.Open("cpu");
        network = Activations == "relu" ? new ReluNet28(device, seed: 1) : new SmoothNet28(device, seed: 1);
        trainer = new Trainer(network, seed: 2);
        images = Inputs.Uniform(Batch * 28 * 28, 1);
        labels = new int[Batch];
        for (int n = 0; n < Batch; n++)
            labels[n] = n % 10;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        trainer.Dispose();
        network.Dispose();
        device.Dispose();
    }

    [Benchmark(Description = "training step, batch 64, cpu")]
    public StepResult Train() => trainer.Train(images, labels, 1e-3f);
}
