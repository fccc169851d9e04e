import { StudioWithSharing } from '@/components/share/studio-with-sharing';

/** The studio is the home page: generating images is what people come for (with its Share slot filled). */
export default function Home() {
  return <StudioWithSharing />;
}
