package dev.freshet.compat;

/**
 * CBOR turned off as users do (the aws.cborEnabled system property, or CBOR_ENABLED=false): JSON
 * 1.1 with base64 blobs and fractional-second timestamps. Surefire runs each test class in its own
 * JVM, so the switch, read when a client is built, stays in this class.
 */
class JsonDataStreamsTest extends DataStreamsContract {
  static {
    System.setProperty("aws.cborEnabled", "false");
  }

  @Override
  String expectedContentType() {
    return "application/x-amz-json-1.1";
  }
}
