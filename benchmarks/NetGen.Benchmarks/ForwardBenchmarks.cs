using BenchmarkDotNet.Attributes;
using NetGen.Networks;

namespace NetGen.Benchmarks;

/// <summary>
/// MiniAlexNet's generated forward pass on ILGPU's CPU accelerator: the correctness backend, timed
/// so that later backends have a baseline measured on the same machine in the same run.
/// </summary>
public class ForwardBenchmarks
{
    private Device device = null!;
    private MiniAlexNet network = null!;
    private ForwardPass pass = null!;
    private float[] images = null!;

    [Params(16)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        device = Device.Open("ilgpu-cpu");
        network = new MiniAlexNet(device.Accelerator, seed: 1);
        pass = network.CreateForwardPass(Batch);
        images = new float[Batch * MiniAlexNet.Shapes.Input.Size];
        for (int i = 0; i < images.Length; i++)
            images[i] = CounterHash.Uniform(1, 2, (ulong)i);
        pass.Run(images);
    }

    [Benchmark(Description = "MiniAlexNet forward, ilgpu-cpu")]
    public float[] Forward() => pass.Run(images);

    [GlobalCleanup]
    public void Cleanup()
    {
        pass.Dispose();
        network.Dispose();
        device.Dispose();
    }
}
