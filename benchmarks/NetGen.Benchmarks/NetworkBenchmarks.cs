using BenchmarkDotNet.Attributes;
using NetGen.Networks;

namespace NetGen.Benchmarks;

/// <summary>AlexNet on the CPU backend, with a trainer and a random batch of <see cref="BatchSize"/>.</summary>
public abstract class AlexNetBenchmark
{
    private Device device = null!;
    private AlexNet network = null!;
    protected AlexNet.Trainer Trainer { get; private set; } = null!;
    protected ForwardPass Pass { get; private set; } = null!;
    protected float[] Images { get; private set; } = null!;
    protected int[] Labels { get; private set; } = null!;

    protected abstract int BatchSize { get; }

    [GlobalSetup]
    public void Setup()
    {
        device = Device.Open("cpu");
        network = new AlexNet(device, seed: 1);
        Trainer = new AlexNet.Trainer(network, seed: 2);
        Pass = Trainer.PassesFor(BatchSize).Forward;
        Images = Inputs.Uniform(BatchSize * AlexNet.Shapes.Input.Size, 1);
        Labels = new int[BatchSize];
        for (int n = 0; n < BatchSize; n++)
            Labels[n] = n * 37 % 1000;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Trainer.Dispose();
        network.Dispose();
        device.Dispose();
    }
}

/// <summary>AlexNet's whole forward pass in evaluation mode at batch 1, 16 and 64.</summary>
public class ForwardBenchmarks : AlexNetBenchmark
{
    [Params(1, 16, 64)]
    public int Batch { get; set; }

    protected override int BatchSize => Batch;

    [Benchmark(Description = "AlexNet forward, cpu")]
    public float[] Forward() => Pass.Run(Images);
}

/// <summary>AlexNet's training step (forward, loss, backward, SGD update) at batch 16 and 64.</summary>
public class TrainingBenchmarks : AlexNetBenchmark
{
    [Params(16, 64)]
    public int Batch { get; set; }

    protected override int BatchSize => Batch;

    [Benchmark(Description = "AlexNet training step, cpu")]
    public StepResult Train() => Trainer.Train(Images, Labels, 1e-4f);
}
